import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { PARITY_BACKENDS, TOL, tolFor, use, values } from './parity.js';
import * as R from './reference.js';

interface ConvCase {
  name: string;
  x: [number, number, number, number];
  k: [number, number];
  co: number;
  stride: [number, number];
  pad: R.Pad;
}

const cases: ConvCase[] = [
  { name: '3x3 s1 same, odd 7x7', x: [2, 7, 7, 3], k: [3, 3], co: 4, stride: [1, 1], pad: 'same' },
  { name: '3x3 s2 same, odd 7x7', x: [2, 7, 7, 3], k: [3, 3], co: 4, stride: [2, 2], pad: 'same' },
  { name: '3x3 s2 same, even 8x8', x: [2, 8, 8, 5], k: [3, 3], co: 6, stride: [2, 2], pad: 'same' },
  { name: '3x3 s1 valid, 9x7', x: [2, 9, 7, 3], k: [3, 3], co: 4, stride: [1, 1], pad: 'valid' },
  { name: '3x3 s2 valid, 9x7', x: [2, 9, 7, 3], k: [3, 3], co: 4, stride: [2, 2], pad: 'valid' },
  { name: '3x3 s2 valid, 8x8 (last row unused)', x: [2, 8, 8, 3], k: [3, 3], co: 4, stride: [2, 2], pad: 'valid' },
  { name: '1x1 s1 valid', x: [2, 5, 5, 4], k: [1, 1], co: 6, stride: [1, 1], pad: 'valid' },
  { name: '1x1 s2 same (ResNet shortcut)', x: [2, 8, 8, 4], k: [1, 1], co: 8, stride: [2, 2], pad: 'same' },
  { name: '1x1 s2 valid, odd 7x7', x: [2, 7, 7, 4], k: [1, 1], co: 5, stride: [2, 2], pad: 'valid' },
  { name: '5x3 filter, strides 3x2, same', x: [1, 11, 9, 2], k: [5, 3], co: 3, stride: [3, 2], pad: 'same' },
  { name: '7x7 s2 same (ImageNet stem), odd 15x15', x: [1, 15, 15, 3], k: [7, 7], co: 4, stride: [2, 2], pad: 'same' },
  { name: '3x3 s2 explicit pads', x: [1, 9, 8, 2], k: [3, 3], co: 3, stride: [2, 2], pad: [[0, 0], [2, 0], [1, 3], [0, 0]] },
  { name: '3x3 s1 pads wider than the filter', x: [1, 9, 8, 2], k: [3, 3], co: 3, stride: [1, 1], pad: [[0, 0], [4, 0], [1, 5], [0, 0]] },
  { name: '1x1 s2 explicit pads', x: [1, 9, 8, 2], k: [1, 1], co: 3, stride: [2, 2], pad: [[0, 0], [1, 2], [0, 3], [0, 0]] },
  { name: 'ResNet block 16ch 3x3 s1 same', x: [4, 16, 16, 16], k: [3, 3], co: 16, stride: [1, 1], pad: 'same' },
  { name: 'ResNet downsample 16->32 3x3 s2 same', x: [4, 16, 16, 16], k: [3, 3], co: 32, stride: [2, 2], pad: 'same' },
];

/** Inputs (float32) and float64 references for one case, computed once and shared by all backends. */
function prepare(c: ConvCase, seed: number) {
  const wShape = [c.k[0], c.k[1], c.x[3], c.co];
  const x = R.randn(seed, c.x);
  const w = R.randn(seed + 1, wShape, 1 / Math.sqrt(c.k[0] * c.k[1] * c.x[3]));
  const y = R.conv2d(R.ref(c.x, x), R.ref(wShape, w), c.stride, c.pad);
  const dy = R.randn(seed + 2, y.shape);
  return {
    x,
    w,
    dy,
    wShape,
    y,
    dx: R.conv2dBackpropInput(R.ref(y.shape, dy), R.ref(wShape, w), c.x, c.stride, c.pad),
    dw: R.conv2dBackpropFilter(R.ref(c.x, x), R.ref(y.shape, dy), wShape, c.stride, c.pad),
  };
}

const prepared = cases.map((c, i) => ({ c, p: prepare(c, 100 + 10 * i) }));

describe('the float64 reference', () => {
  it('agrees with a finite-difference gradient of its own conv2d (so the backprop definitions are right)', async () => {
    const c = cases[11]!; // explicit, asymmetric pads and stride 2
    const { x, w, dy, wShape, dx, dw } = prepare(c, 7);
    const loss = (xv: Float64Array, wv: Float64Array) => {
      const y = R.conv2d({ shape: c.x, data: xv }, { shape: wShape, data: wv }, c.stride, c.pad);
      return y.data.reduce((s, v, i) => s + v * dy[i]!, 0);
    };
    const xd = Float64Array.from(x);
    const wd = Float64Array.from(w);
    expect(R.relErr(dx.data, R.numericGrad((v) => loss(v, wd), xd))).toBeLessThan(1e-8);
    expect(R.relErr(dw.data, R.numericGrad((v) => loss(xd, v), wd))).toBeLessThan(1e-8);
  });
});

describe.each(PARITY_BACKENDS)('conv2d on %s vs float64 reference', (backend) => {
  beforeAll(() => use(backend));
  const tol = tolFor(backend);

  it.each(prepared.map(({ c, p }) => ({ name: c.name, c, p })))('$name: forward, d/dx and d/dw through tf.grads', async ({ c, p }) => {
    const got = await values(() => {
      const x = tf.tensor4d(p.x, c.x);
      const w = tf.tensor4d(p.w, p.wShape as [number, number, number, number]);
      const dy = tf.tensor(p.dy, p.y.shape);
      const conv = (a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad);
      // d/d(x,w) of sum(conv(x,w) * dy) are exactly the two backprop kernels applied to dy.
      const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => conv(a, b).mul(dy).sum())([x, w]);
      return { y: conv(x, w), dx: dx!, dw: dw! };
    });
    expect(R.relErr(got.y, p.y.data)).toBeLessThan(tol);
    expect(R.relErr(got.dx, p.dx.data)).toBeLessThan(tol);
    expect(R.relErr(got.dw, p.dw.data)).toBeLessThan(tol);
  });

  it('1x1 stride-2 filter gradients stay right after another shape with the same spatial size (TF oneDNN regression)', async () => {
    // With oneDNN, native TensorFlow returned a wrong 1x1 strided filter
    // gradient for [2,8,8,4]->8 once [8,8,8,64]->128 had run; native-fixes.ts works around it.
    const run = async (n: number, ci: number, co: number, seed: number) => {
      const x = R.randn(seed, [n, 8, 8, ci]);
      const dy = R.randn(seed + 1, [n, 4, 4, co]);
      const got = await values(() => ({
        dw: tf.engine().runKernel('Conv2DBackpropFilter', { x: tf.tensor4d(x, [n, 8, 8, ci]), dy: tf.tensor4d(dy, [n, 4, 4, co]) }, {
          strides: [2, 2],
          pad: 'same',
          dataFormat: 'NHWC',
          filterShape: [1, 1, ci, co],
        } as unknown as tf.NamedAttrMap) as tf.Tensor,
      }));
      const want = R.conv2dBackpropFilter(R.ref([n, 8, 8, ci], x), R.ref([n, 4, 4, co], dy), [1, 1, ci, co], [2, 2], 'same');
      return R.relErr(got.dw, want.data);
    };
    expect(await run(2, 4, 8, 1)).toBeLessThan(tol);
    expect(await run(8, 64, 128, 3)).toBeLessThan(tol);
    expect(await run(2, 4, 8, 1)).toBeLessThan(tol);
  });

  it('fused conv2d (bias + relu, as layers use it) has the same gradients as the unfused ops', async () => {
    const { c, p } = prepared[2]!;
    const bias = R.randn(5, [c.co]);
    const got = await values(() => {
      const x = tf.tensor4d(p.x, c.x);
      const w = tf.tensor4d(p.w, p.wShape as [number, number, number, number]);
      const b = tf.tensor1d(bias);
      const dy = tf.tensor(p.dy, p.y.shape);
      const fused = tf.grads((a: tf.Tensor, f: tf.Tensor, bb: tf.Tensor) =>
        tf.fused.conv2d({ x: a as tf.Tensor4D, filter: f as tf.Tensor4D, strides: c.stride, pad: c.pad, bias: bb, activation: 'relu' }).mul(dy).sum(),
      )([x, w, b]);
      const plain = tf.grads((a: tf.Tensor, f: tf.Tensor, bb: tf.Tensor) => tf.relu(tf.conv2d(a as tf.Tensor4D, f as tf.Tensor4D, c.stride, c.pad).add(bb)).mul(dy).sum())([x, w, b]);
      return { fx: fused[0]!, fw: fused[1]!, fb: fused[2]!, px: plain[0]!, pw: plain[1]!, pb: plain[2]! };
    });
    expect(R.relErr(got.fx, got.px)).toBeLessThan(tol);
    expect(R.relErr(got.fw, got.pw)).toBeLessThan(tol);
    expect(R.relErr(got.fb, got.pb)).toBeLessThan(tol);
    expect(Math.max(...got.pw.map(Math.abs))).toBeGreaterThan(0);
  });
});

describe('wasm training kernels', () => {
  beforeAll(() => use('wasm'));

  it('registers both conv2d gradients for wasm, replacing the shipped Conv2DBackpropInput', async () => {
    const { originalWasmKernel } = await import('../../src/engine/backend/wasm-training-kernels.js');
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
    const shipped = originalWasmKernel('Conv2DBackpropInput');
    expect(shipped).toBeDefined();
    expect(tf.getKernel('Conv2DBackpropInput', 'wasm')!.kernelFunc).not.toBe(shipped);
  });

  it('agrees with the shipped wasm Conv2DBackpropInput, called directly', async () => {
    const { originalWasmKernel } = await import('../../src/engine/backend/wasm-training-kernels.js');
    const shipped = originalWasmKernel('Conv2DBackpropInput')!;
    const { c, p } = prepared[1]!; // 3x3 s2 same on 7x7
    const attrs = { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', dimRoundingMode: undefined, inputShape: c.x } as unknown as tf.NamedAttrMap;
    const dy = tf.tensor(p.dy, p.y.shape);
    const filter = tf.tensor4d(p.w, p.wShape as [number, number, number, number]);
    const oursT = tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, attrs) as tf.Tensor;
    const theirs = shipped({ inputs: { dy, filter }, backend: tf.backend(), attrs }) as tf.TensorInfo;
    const theirVals = tf.backend().readSync(theirs.dataId) as Float32Array;
    tf.backend().disposeData(theirs.dataId);
    expect(R.relErr(oursT.dataSync(), theirVals)).toBeLessThan(TOL);
    tf.dispose([dy, filter, oursT]);
  });
});
