/**
 * A plain Conv2D kernel for software WebGPU adapters (SwiftShader): one thread
 * per output element, no workgroup shared memory. tfjs-backend-webgpu's own
 * programs tile through shared memory, which SwiftShader emulates slowly (a
 * [8, 32, 32, 16] 3x3 convolution: 2.8 s), and its naive debug program
 * (WEBGPU_USE_NAIVE_CONV2D_DEBUG) does not compile in 4.22 (its main() takes an
 * index the non-flat dispatch never passes). Hardware adapters keep tfjs's kernels.
 */
import * as tf from '@tensorflow/tfjs';

const WORKGROUP = 64;
const MAX_GROUPS = 65535;

interface ConvAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dilations: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

interface WebgpuRunner {
  runWebGPUProgram(program: object, inputs: tf.TensorInfo[], dtype: 'float32', uniforms: { type: 'int32'; data: number[] }[]): tf.TensorInfo;
}

function program(info: tf.backend_util.Conv2DInfo) {
  const size = info.outShape.reduce((a, b) => a * b, 1);
  return {
    variableNames: ['x', 'W'],
    uniforms: 'pads : vec2<i32>, strides : vec2<i32>,',
    workgroupSize: [WORKGROUP, 1, 1],
    outputShape: info.outShape,
    dispatchLayout: { x: info.outShape.map((_, i) => i) },
    dispatch: [Math.ceil(size / WORKGROUP), 1, 1],
    size: true,
    shaderKey: 'simclrSoftwareConv2d',
    getUserCode: () => `
      fn main(index : i32) {
        if (index >= uniforms.size) { return; }
        let c = getCoordsFromIndex(index);
        var acc = 0.0;
        for (var i = 0; i < uniforms.wShape[0]; i++) {
          let xr = c[1] * uniforms.strides[0] + i - uniforms.pads[0];
          if (xr < 0 || xr >= uniforms.xShape[1]) { continue; }
          for (var j = 0; j < uniforms.wShape[1]; j++) {
            let xc = c[2] * uniforms.strides[1] + j - uniforms.pads[1];
            if (xc < 0 || xc >= uniforms.xShape[2]) { continue; }
            for (var k = 0; k < uniforms.xShape[3]; k++) {
              acc = acc + getX(c[0], xr, xc, k) * getW(i, j, k, c[3]);
            }
          }
        }
        setOutputAtIndex(index, acc);
      }`,
  };
}

let original: tf.KernelFunc | null = null;

/** Route webgpu Conv2D (NHWC, no dilation, a dispatch that fits) through the plain kernel; idempotent. */
export function registerSoftwareConv2d(): void {
  if (original) return;
  const shipped = tf.getKernel('Conv2D', 'webgpu');
  if (!shipped) throw new Error('tfjs-backend-webgpu registered no Conv2D kernel');
  original = shipped.kernelFunc;
  tf.unregisterKernel('Conv2D', 'webgpu');
  tf.registerKernel({
    kernelName: 'Conv2D',
    backendName: 'webgpu',
    kernelFunc: (args) => {
      const { x, filter } = args.inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
      const a = args.attrs as unknown as ConvAttrs;
      const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filter.shape as [number, number, number, number], a.strides, a.dilations, a.pad, a.dimRoundingMode, false, 'channelsLast');
      const size = info.outShape.reduce((p, q) => p * q, 1);
      if (a.dataFormat !== 'NHWC' || info.dilationHeight !== 1 || info.dilationWidth !== 1 || Math.ceil(size / WORKGROUP) > MAX_GROUPS) return original!(args);
      const uniforms = [
        { type: 'int32' as const, data: [info.padInfo.top, info.padInfo.left] },
        { type: 'int32' as const, data: [info.strideHeight, info.strideWidth] },
      ];
      return (args.backend as unknown as WebgpuRunner).runWebGPUProgram(program(info), [x, filter], 'float32', uniforms);
    },
  });
}
