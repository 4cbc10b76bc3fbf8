import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { PARITY_BACKENDS, tolFor, use, values } from './parity.js';
import * as R from './reference.js';

const f64 = (v: ArrayLike<number>) => Float64Array.from(v);
const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

// ---- inputs and float64 references, computed once for all backends --------------------

const bn = (() => {
  const shape = [2, 5, 5, 3];
  const x = R.randn(11, shape, 2);
  const mean = R.randn(12, [3]);
  const variance = R.randn(13, [3]).map((v) => v * v + 0.1);
  const offset = R.randn(14, [3]);
  const scale = R.randn(15, [3]);
  const m = R.moments(R.ref(shape, x));
  return { shape, x, mean, variance, offset, scale, y: R.batchNorm(R.ref(shape, x), mean, variance, offset, scale, 1e-3), m };
})();

const cls = (() => {
  const shape = [4, 10];
  const x = R.randn(21, shape, 3);
  const labels = [3, 0, 9, 3];
  const onehot = new Float32Array(40);
  labels.forEach((l, i) => (onehot[i * 10 + l] = 1));
  const g = R.randn(22, shape);
  const xd = f64(x);
  const xent = (v: Float64Array) => -dot(R.logSoftmax({ shape, data: v }).data, onehot) / 4;
  const l2loss = (v: Float64Array) => dot(R.l2Normalize({ shape, data: v }).data, g);
  return {
    shape,
    x,
    onehot,
    g,
    softmax: R.softmax(R.ref(shape, x)),
    logSoftmax: R.logSoftmax(R.ref(shape, x)),
    l2: R.l2Normalize(R.ref(shape, x)),
    reluGrad: g.map((v, i) => (x[i]! > 0 ? v : 0)),
    dXent: R.numericGrad(xent, xd),
    dL2: R.numericGrad(l2loss, xd),
  };
})();

const gat = (() => {
  const x0 = R.randn(31, [5, 4]);
  const i0 = [0, 2, 2, 4, 1, 2];
  const g0 = R.randn(32, [6, 4]);
  const x1 = R.randn(33, [3, 6]);
  const i1 = [5, 0, 0, 3];
  const g1 = R.randn(34, [3, 4]);
  return {
    x0,
    i0,
    g0,
    y0: R.gather(R.ref([5, 4], x0), i0, 0),
    d0: R.numericGrad((v) => dot(R.gather({ shape: [5, 4], data: v }, i0, 0).data, g0), f64(x0)),
    x1,
    i1,
    g1,
    y1: R.gather(R.ref([3, 6], x1), i1, 1),
    d1: R.numericGrad((v) => dot(R.gather({ shape: [3, 6], data: v }, i1, 1).data, g1), f64(x1)),
  };
})();

const img = (() => {
  const shape = [2, 9, 11, 3];
  const x = R.randn(41, shape);
  const boxes = [
    [0.1, 0.2, 0.8, 0.9],
    [0.05, 0.5, 0.95, 0.6],
    [-0.3, -0.2, 1.2, 1.1], // reaches outside the image: extrapolated samples
    [0.3, 0.7, 0.6, 0.2], // x2 < x1: a mirrored crop
  ].map((b) => b.map(Math.fround));
  const boxInd = [0, 1, 1, 0];
  const modes = [
    { alignCorners: false, halfPixelCenters: false },
    { alignCorners: true, halfPixelCenters: false },
    { alignCorners: false, halfPixelCenters: true },
  ];
  const g = R.randn(42, [2, 6, 4, 3]);
  return {
    shape,
    x,
    boxes,
    boxInd,
    crop: R.cropAndResize(R.ref(shape, x), boxes, boxInd, 5, 6, 0.5),
    modes: modes.map((m) => ({ ...m, y: R.resizeBilinear(R.ref(shape, x), 6, 4, m.alignCorners, m.halfPixelCenters) })),
    g,
    // Resize is linear in the image, so these finite differences are exact up to rounding.
    // Gradients only for the first two modes: tfjs's ResizeBilinearGrad ignores
    // halfPixelCenters on every backend (cpu, wasm, tensorflow), so that gradient is
    // the align-corners-false one; nothing here trains through a resize.
    dResize: modes.slice(0, 2).map((m) => R.numericGrad((v) => dot(R.resizeBilinear({ shape, data: v }, 6, 4, m.alignCorners, m.halfPixelCenters).data, g), f64(x))),
  };
})();

const dw = [
  { w: [3, 3, 3, 1], stride: [1, 1] as [number, number], pad: 'same' as const },
  { w: [3, 3, 3, 2], stride: [2, 2] as [number, number], pad: 'same' as const },
  { w: [2, 2, 3, 1], stride: [2, 2] as [number, number], pad: 'valid' as const },
].map((c, i) => {
  const xShape = [2, 7, 7, 3];
  const x = R.randn(51 + i, xShape);
  const w = R.randn(61 + i, c.w);
  const y = R.depthwiseConv2d(R.ref(xShape, x), R.ref(c.w, w), c.stride, c.pad);
  const g = R.randn(71 + i, y.shape);
  const loss = (xv: Float64Array, wv: Float64Array) => dot(R.depthwiseConv2d({ shape: xShape, data: xv }, { shape: c.w, data: wv }, c.stride, c.pad).data, g);
  return { ...c, xShape, x, wv: w, y, g, dx: R.numericGrad((v) => loss(v, f64(w)), f64(x)), dw: R.numericGrad((v) => loss(f64(x), v), f64(w)) };
});

/**
 * A miniature ResNet step, the shape of what later stages train: conv3x3 ->
 * batch-norm (batch statistics) -> relu -> conv3x3 stride 2, plus a 1x1
 * stride-2 shortcut -> global mean pool -> dense -> softmax cross-entropy.
 */
const block = (() => {
  const xs = [2, 8, 8, 3];
  const shapes = { w1: [3, 3, 3, 4], gamma: [4], beta: [4], w2: [3, 3, 4, 6], ws: [1, 1, 3, 6], fc: [6, 5] };
  const names = Object.keys(shapes) as (keyof typeof shapes)[];
  const x = R.randn(81, xs);
  const params = Object.fromEntries(names.map((k, i) => [k, R.randn(90 + i, shapes[k], k === 'gamma' ? 0.3 : 0.5).map((v) => (k === 'gamma' ? v + 1 : v))])) as Record<keyof typeof shapes, Float32Array>;
  const labels = [1, 4];
  const forward = (p: Record<keyof typeof shapes, Float64Array>): number => {
    const h1 = R.conv2d(R.ref(xs, x), { shape: shapes.w1, data: p.w1 }, [1, 1], 'same');
    const m = R.moments(h1);
    const r = R.relu(R.batchNorm(h1, m.mean, m.variance, p.beta, p.gamma, 1e-3));
    const h2 = R.conv2d(r, { shape: shapes.w2, data: p.w2 }, [2, 2], 'same');
    const sc = R.conv2d(R.ref(xs, x), { shape: shapes.ws, data: p.ws }, [2, 2], 'same');
    const pooled = new Float64Array(2 * 6);
    h2.data.forEach((v, i) => (pooled[Math.floor(i / 96) * 6 + (i % 6)] += (v + sc.data[i]!) / 16));
    const logp = R.logSoftmax(R.matMul({ shape: [2, 6], data: pooled }, { shape: shapes.fc, data: p.fc }));
    return -(logp.data[labels[0]!]! + logp.data[5 + labels[1]!]!) / 2;
  };
  const p64 = Object.fromEntries(names.map((k) => [k, f64(params[k])])) as Record<keyof typeof shapes, Float64Array>;
  const grads = Object.fromEntries(names.map((k) => [k, R.numericGrad((v) => forward({ ...p64, [k]: v }), p64[k])])) as Record<keyof typeof shapes, Float64Array>;
  return { xs, x, shapes, names, params, labels, loss: forward(p64), grads };
})();

// ---- the same computations on each backend ---------------------------------------------

describe.each(PARITY_BACKENDS)('training ops on %s vs float64 reference', (backend) => {
  beforeAll(() => use(backend));
  const tol = tolFor(backend);

  it('batchNorm with given statistics, and moments', async () => {
    const got = await values(() => {
      const x = tf.tensor4d(bn.x, bn.shape as [number, number, number, number]);
      const m = tf.moments(x, [0, 1, 2]);
      return { y: tf.batchNorm(x, tf.tensor1d(bn.mean), tf.tensor1d(bn.variance), tf.tensor1d(bn.offset), tf.tensor1d(bn.scale), 1e-3), mean: m.mean, variance: m.variance };
    });
    expect(R.relErr(got.y, bn.y.data)).toBeLessThan(tol);
    expect(R.relErr(got.mean, bn.m.mean)).toBeLessThan(tol);
    expect(R.relErr(got.variance, bn.m.variance)).toBeLessThan(tol);
  });

  it('relu, softmax, logSoftmax, l2-normalise, and the gradients of relu, cross-entropy and l2-normalise', async () => {
    const got = await values(() => {
      const x = tf.tensor2d(cls.x, cls.shape as [number, number]);
      const g = tf.tensor2d(cls.g, cls.shape as [number, number]);
      const l2n = (v: tf.Tensor) => v.div(v.square().sum(1, true).maximum(1e-12).sqrt());
      const xent = (v: tf.Tensor) => tf.neg(tf.sum(tf.mul(tf.tensor2d(cls.onehot, [4, 10]), tf.logSoftmax(v)))).div(4);
      return {
        relu: tf.relu(x),
        reluGrad: tf.grad((v: tf.Tensor) => tf.relu(v).mul(g).sum())(x),
        softmax: tf.softmax(x),
        logSoftmax: tf.logSoftmax(x),
        dXent: tf.grad(xent)(x),
        dXentLosses: tf.grad((v: tf.Tensor) => tf.losses.softmaxCrossEntropy(tf.tensor2d(cls.onehot, [4, 10]), v))(x),
        l2: l2n(x),
        dL2: tf.grad((v: tf.Tensor) => l2n(v).mul(g).sum())(x),
      };
    });
    expect(R.relErr(got.relu, R.relu(R.ref(cls.shape, cls.x)).data)).toBeLessThan(tol);
    expect(R.relErr(got.reluGrad, cls.reluGrad)).toBeLessThan(tol);
    expect(R.relErr(got.softmax, cls.softmax.data)).toBeLessThan(tol);
    expect(R.relErr(got.logSoftmax, cls.logSoftmax.data)).toBeLessThan(tol);
    expect(R.relErr(got.dXent, cls.dXent)).toBeLessThan(tol);
    expect(R.relErr(got.dXentLosses, cls.dXent)).toBeLessThan(tol);
    expect(R.relErr(got.l2, cls.l2.data)).toBeLessThan(tol);
    expect(R.relErr(got.dL2, cls.dL2)).toBeLessThan(tol);
  });

  it('gather on axis 0 and 1, with repeated indices, and its gradient (UnsortedSegmentSum)', async () => {
    const got = await values(() => {
      const x0 = tf.tensor2d(gat.x0, [5, 4]);
      const x1 = tf.tensor2d(gat.x1, [3, 6]);
      const i0 = tf.tensor1d(gat.i0, 'int32');
      const i1 = tf.tensor1d(gat.i1, 'int32');
      return {
        y0: tf.gather(x0, i0, 0),
        d0: tf.grad((v: tf.Tensor) => tf.gather(v, i0, 0).mul(tf.tensor2d(gat.g0, [6, 4])).sum())(x0),
        y1: tf.gather(x1, i1, 1),
        d1: tf.grad((v: tf.Tensor) => tf.gather(v, i1, 1).mul(tf.tensor2d(gat.g1, [3, 4])).sum())(x1),
      };
    });
    expect(R.relErr(got.y0, gat.y0.data)).toBeLessThan(tol);
    expect(R.relErr(got.d0, gat.d0)).toBeLessThan(tol);
    expect(R.relErr(got.y1, gat.y1.data)).toBeLessThan(tol);
    expect(R.relErr(got.d1, gat.d1)).toBeLessThan(tol);
  });

  it('unsortedSegmentSum drops negative ids and sums float32 and int32', async () => {
    const ids = [0, 2, 0, -1, 2, 1];
    const xf = R.randn(35, [6, 3]);
    const xi = Int32Array.from({ length: 18 }, (_, i) => (i * 7) % 11 - 5);
    const expected = (x: ArrayLike<number>) => {
      const out = new Float64Array(4 * 3);
      ids.forEach((id, r) => {
        if (id >= 0) for (let k = 0; k < 3; k++) out[id * 3 + k] += x[r * 3 + k]!;
      });
      return out;
    };
    const got = await values(() => ({
      f: tf.unsortedSegmentSum(tf.tensor2d(xf, [6, 3]), tf.tensor1d(ids, 'int32'), 4),
      i: tf.unsortedSegmentSum(tf.tensor2d(xi, [6, 3], 'int32'), tf.tensor1d(ids, 'int32'), 4),
    }));
    expect(R.relErr(got.f, expected(xf))).toBeLessThan(tol);
    // tfjs-backend-webgpu 4.22 returns float bit patterns for an int32 UnsortedSegmentSum
    // (its atomic add reinterprets the sum). The engine never sums int32 with it (it is
    // the gradient of gathers of float features), so on webgpu only float32 is checked.
    if (backend !== 'webgpu') expect(Array.from(got.i)).toEqual(Array.from(expected(xi)));
  });

  it('cropAndResize (boxes inside, outside and mirrored) and resizeBilinear in all three coordinate modes, with its gradient (two modes)', async () => {
    const got = await values(() => {
      const x = tf.tensor4d(img.x, img.shape as [number, number, number, number]);
      const out: Record<string, tf.Tensor> = {
        crop: tf.image.cropAndResize(x, tf.tensor2d(img.boxes.flat(), [4, 4]), tf.tensor1d(img.boxInd, 'int32'), [5, 6], 'bilinear', 0.5),
      };
      [false, true].forEach(
        (alignCorners, i) => (out[`dResize${i}`] = tf.grad((v: tf.Tensor) => tf.image.resizeBilinear(v as tf.Tensor4D, [6, 4], alignCorners).mul(tf.tensor4d(img.g, [2, 6, 4, 3])).sum())(x)),
      );
      img.modes.forEach((m, i) => (out[`resize${i}`] = tf.image.resizeBilinear(x, [6, 4], m.alignCorners, m.halfPixelCenters)));
      return out;
    });
    expect(R.relErr(got.crop!, img.crop.data)).toBeLessThan(tol);
    img.modes.forEach((m, i) => expect(R.relErr(got[`resize${i}`]!, m.y.data), JSON.stringify(m)).toBeLessThan(tol));
    img.dResize.forEach((d, i) => expect(R.relErr(got[`dResize${i}`]!, d)).toBeLessThan(tol));
  });

  it.each(dw.map((c) => ({ name: `depthwise ${c.w.join('x')} stride ${c.stride[0]} ${c.pad}`, c })))('$name: forward and both gradients', async ({ c }) => {
    const got = await values(() => {
      const x = tf.tensor4d(c.x, c.xShape as [number, number, number, number]);
      const w = tf.tensor4d(c.wv, c.w as [number, number, number, number]);
      const f = (a: tf.Tensor, b: tf.Tensor) => tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad);
      const [dx, dwt] = tf.grads((a: tf.Tensor, b: tf.Tensor) => f(a, b).mul(tf.tensor(c.g, c.y.shape)).sum())([x, w]);
      return { y: f(x, w), dx: dx!, dw: dwt! };
    });
    expect(R.relErr(got.y, c.y.data)).toBeLessThan(tol);
    expect(R.relErr(got.dx, c.dx)).toBeLessThan(tol);
    expect(R.relErr(got.dw, c.dw)).toBeLessThan(tol);
  });

  it('a miniature ResNet step (conv, batch-norm, relu, strided conv, 1x1 shortcut, pool, dense, cross-entropy): loss and every parameter gradient', async () => {
    const { shapes, names } = block;
    const got = await values(() => {
      const x = tf.tensor4d(block.x, block.xs as [number, number, number, number]);
      const onehot = tf.oneHot(tf.tensor1d(block.labels, 'int32'), 5);
      const vars = names.map((k) => tf.tensor(block.params[k], shapes[k]));
      const loss = (w1: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, w2: tf.Tensor, ws: tf.Tensor, fc: tf.Tensor) => {
        const h1 = tf.conv2d(x, w1 as tf.Tensor4D, 1, 'same');
        const m = tf.moments(h1, [0, 1, 2]);
        const r = tf.relu(tf.batchNorm(h1, m.mean, m.variance, beta, gamma, 1e-3)) as tf.Tensor4D;
        const h2 = tf.conv2d(r, w2 as tf.Tensor4D, 2, 'same').add(tf.conv2d(x, ws as tf.Tensor4D, 2, 'same'));
        const logits = tf.matMul(tf.mean(h2, [1, 2]), fc as tf.Tensor2D);
        return tf.neg(tf.sum(tf.mul(onehot, tf.logSoftmax(logits)))).div(2);
      };
      const { value, grads } = tf.valueAndGrads(loss)(vars);
      return { loss: value, ...Object.fromEntries(names.map((k, i) => [k, grads[i]!])) } as Record<string, tf.Tensor>;
    });
    expect(R.relErr(got.loss!, [block.loss])).toBeLessThan(tol);
    for (const k of names) expect(R.relErr(got[k]!, block.grads[k]), k).toBeLessThan(tol);
  });
});
