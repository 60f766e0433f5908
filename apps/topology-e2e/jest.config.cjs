module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'topology-e2e',
  rootDir: __dirname,
};
