module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'aggregator',
  rootDir: __dirname,
};
