module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'source-rules',
  rootDir: __dirname,
};
