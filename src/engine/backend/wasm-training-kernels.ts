/**
 * Training kernels the wasm backend lacks (Conv2DBackpropFilter) or runs slowly
 * (Conv2DBackpropInput), expressed through its fast forward conv2d.
 * Filled in by the wasm-gradients work; registering nothing keeps wasm usable
 * for inference meanwhile.
 */
export function registerWasmTrainingKernels(): void {}
