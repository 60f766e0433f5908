module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'media-converter',
  rootDir: __dirname,
};
