module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'detectors',
  rootDir: __dirname,
  // Host-realm typed arrays, so onnxruntime-node works under Jest (see the file).
  testEnvironment: '<rootDir>/jest.onnx-environment.cjs',
};
