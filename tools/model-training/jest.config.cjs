module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'model-training',
  rootDir: __dirname,
};
