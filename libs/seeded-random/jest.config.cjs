module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'seeded-random',
  rootDir: __dirname,
};
