module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'model-training',
  rootDir: __dirname,
  // The evaluation test runs the committed model with onnxruntime-node: host-realm typed arrays.
  testEnvironment: '<rootDir>/../../libs/detectors/jest.onnx-environment.cjs',
};
