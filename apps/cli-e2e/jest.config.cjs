module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'cli-e2e',
  rootDir: __dirname,
};
