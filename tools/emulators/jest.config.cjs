module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'emulators',
  rootDir: __dirname,
};
