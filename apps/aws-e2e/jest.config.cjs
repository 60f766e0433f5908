module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'aws-e2e',
  rootDir: __dirname,
};
