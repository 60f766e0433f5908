module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'dynamo',
  rootDir: __dirname,
};
