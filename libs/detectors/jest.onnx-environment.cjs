// Jest environment for tests that run onnxruntime-node.
//
// Jest runs each test file in its own vm context, whose Float32Array, ArrayBuffer, … are
// different objects from the host's. onnxruntime-node's native binding creates output tensors
// with the host realm's typed arrays, and onnxruntime-common (loaded inside the sandbox) checks
// `data instanceof Float32Array` against the sandbox's constructor, so every run fails with
// "A float32 tensor's data must be type of function Float32Array()". Giving the sandbox the
// host's constructors makes both sides agree. Used by libs/detectors (jest.config.cjs) and by
// any spec that opts in with a `@jest-environment` docblock.
const { TestEnvironment } = require('jest-environment-node');

const hostConstructors = {
  ArrayBuffer,
  SharedArrayBuffer,
  DataView,
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
};

class OnnxEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    Object.assign(this.global, hostConstructors);
  }
}

module.exports = OnnxEnvironment;
