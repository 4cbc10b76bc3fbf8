import * as tf from '@tensorflow/tfjs';
import type { WebgpuAdapter } from './types.js';

/**
 * tfjs-backend-webgpu flags per adapter. On a hardware GPU tfjs's defaults are
 * kept: 3x3 and strided convolutions run as an implicit GEMM (Conv2DMMProgram),
 * 1x1 stride-1 ones as a MatMul, the input gradient as Conv2DDerInputMMProgram;
 * all of them tile through workgroup shared memory. Software adapters
 * (SwiftShader) emulate workgroup barriers and shared memory slowly: there a
 * [8, 32, 32, 16] 3x3 convolution took 2.8 s through the GEMM path. So on
 * software adapters the input gradient takes tfjs's naive program
 * (WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE) and the forward convolution our plain
 * kernel (webgpu-software-conv.ts; tfjs's WEBGPU_USE_NAIVE_CONV2D_DEBUG program
 * does not compile in 4.22). The filter gradient is naive on every adapter.
 * Numerics: the same sums in another order.
 */
export function webgpuFlagsFor(adapter: WebgpuAdapter): Record<string, boolean> {
  return adapter.software ? { WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE: true } : {};
}

export async function applyWebgpuFlags(adapter: WebgpuAdapter): Promise<Record<string, boolean>> {
  const flags = webgpuFlagsFor(adapter);
  for (const [k, v] of Object.entries(flags)) tf.env().set(k, v);
  if (adapter.software) {
    const { registerSoftwareConv2d } = await import('./webgpu-software-conv.js');
    registerSoftwareConv2d();
  }
  return flags;
}
