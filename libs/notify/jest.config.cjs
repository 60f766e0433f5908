module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'notify',
  rootDir: __dirname,
};
