import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { PARITY_BACKENDS, tolFor, use, values } from './parity.js';
import * as R from './reference.js';

interface MatCase {
  name: string;
  a: number[];
  b: number[];
  ta: boolean;
  tb: boolean;
  /** tfjs-core's BatchMatMul gradient cannot reduce a broadcast batch (on every backend): forward only. */
  forwardOnly?: boolean;
}

const combos = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
] as const;
/** Stored shapes for a logical [.., m, k] x [.., k, n] product under the given transposes. */
const shapes = (lead: number[], leadB: number[], m: number, k: number, n: number, ta: boolean, tb: boolean) => ({
  a: [...lead, ...(ta ? [k, m] : [m, k])],
  b: [...leadB, ...(tb ? [n, k] : [k, n])],
});

const cases: MatCase[] = [
  ...combos.map(([ta, tb]) => ({ name: `2-D 5x7 . 7x3 ta=${ta} tb=${tb}`, ...shapes([], [], 5, 7, 3, ta, tb), ta, tb })),
  ...combos.map(([ta, tb]) => ({ name: `batched 3x(4x5 . 5x2) ta=${ta} tb=${tb}`, ...shapes([3], [3], 4, 5, 2, ta, tb), ta, tb })),
  { name: 'broadcast batch 1 against 3 (forward)', ...shapes([1], [3], 4, 5, 2, false, true), ta: false, tb: true, forwardOnly: true },
  ...combos.map(([ta, tb]) => ({ name: `64x96 . 96x80 ta=${ta} tb=${tb}`, ...shapes([], [], 64, 96, 80, ta, tb), ta, tb })),
];

const prepared = cases.map((c, i) => {
  const a = R.randn(300 + i, c.a);
  const b = R.randn(400 + i, c.b);
  const y = R.matMul(R.ref(c.a, a), R.ref(c.b, b), c.ta, c.tb);
  const g = R.randn(500 + i, y.shape);
  // L = sum(y * g) is linear in each operand, so central differences are exact up to rounding.
  const small = a.length + b.length < 200;
  const loss = (av: Float64Array, bv: Float64Array) => R.matMul({ shape: c.a, data: av }, { shape: c.b, data: bv }, c.ta, c.tb).data.reduce((s, v, j) => s + v * g[j]!, 0);
  const ad = Float64Array.from(a);
  const bd = Float64Array.from(b);
  return {
    c,
    a,
    b,
    g,
    y,
    da: small ? R.numericGrad((v) => loss(v, bd), ad) : null,
    db: small ? R.numericGrad((v) => loss(ad, v), bd) : null,
  };
});

describe.each(PARITY_BACKENDS)('matMul on %s vs float64 reference', (backend) => {
  beforeAll(() => use(backend));
  const tol = tolFor(backend);

  it.each(prepared.map((p) => ({ name: p.c.name, p })))('$name', async ({ p }) => {
    const { c } = p;
    const got = await values(() => {
      const a = tf.tensor(p.a, c.a);
      const b = tf.tensor(p.b, c.b);
      const g = tf.tensor(p.g, p.y.shape);
      const mm = (x: tf.Tensor, z: tf.Tensor) => tf.matMul(x, z, c.ta, c.tb);
      if (c.forwardOnly) return { y: mm(a, b), da: a, db: b };
      const [da, db] = tf.grads((x: tf.Tensor, z: tf.Tensor) => mm(x, z).mul(g).sum())([a, b]);
      return { y: mm(a, b), da: da!, db: db! };
    });
    expect(R.relErr(got.y, p.y.data)).toBeLessThan(tol);
    if (c.forwardOnly) return;
    if (p.da && p.db) {
      expect(R.relErr(got.da, p.da)).toBeLessThan(tol);
      expect(R.relErr(got.db, p.db)).toBeLessThan(tol);
    } else {
      // Large case: the gradient of sum(AB * G) is G B^T / A^T G (with transposes folded back).
      const G = R.ref(p.y.shape, p.g);
      const A = R.ref(c.a, p.a);
      const B = R.ref(c.b, p.b);
      const daRef = c.ta ? R.matMul(B, G, c.tb, true) : R.matMul(G, B, false, !c.tb);
      const dbRef = c.tb ? R.matMul(G, A, true, c.ta) : R.matMul(A, G, !c.ta, false);
      expect(R.relErr(got.da, daRef.data)).toBeLessThan(tol);
      expect(R.relErr(got.db, dbRef.data)).toBeLessThan(tol);
    }
  });

  it('fused matMul (bias + relu, transposeB, as a dense layer on the projection head) and its gradients', async () => {
    const a = R.randn(1, [6, 9]);
    const b = R.randn(2, [5, 9]);
    const bias = R.randn(3, [5]);
    const g = R.randn(4, [6, 5]);
    const fwd = (av: Float64Array, bv: Float64Array, cv: Float64Array) => {
      const y = R.matMul({ shape: [6, 9], data: av }, { shape: [5, 9], data: bv }, false, true);
      return R.relu({ shape: y.shape, data: y.data.map((v, i) => v + cv[i % 5]!) });
    };
    const [ad, bd, cd] = [a, b, bias].map((v) => Float64Array.from(v)) as [Float64Array, Float64Array, Float64Array];
    const loss = (av: Float64Array, bv: Float64Array, cv: Float64Array) => fwd(av, bv, cv).data.reduce((s, v, i) => s + v * g[i]!, 0);
    const got = await values(() => {
      const f = (x: tf.Tensor, z: tf.Tensor, c: tf.Tensor) => tf.fused.matMul({ a: x as tf.Tensor2D, b: z as tf.Tensor2D, transposeB: true, bias: c, activation: 'relu' });
      const ts = [tf.tensor2d(a, [6, 9]), tf.tensor2d(b, [5, 9]), tf.tensor1d(bias)] as const;
      const [da, db, dc] = tf.grads((x: tf.Tensor, z: tf.Tensor, c: tf.Tensor) => f(x, z, c).mul(tf.tensor2d(g, [6, 5])).sum())([...ts]);
      return { y: f(...ts), da: da!, db: db!, dc: dc! };
    });
    expect(R.relErr(got.y, fwd(ad, bd, cd).data)).toBeLessThan(tol);
    expect(R.relErr(got.da, R.numericGrad((v) => loss(v, bd, cd), ad))).toBeLessThan(tol);
    expect(R.relErr(got.db, R.numericGrad((v) => loss(ad, v, cd), bd))).toBeLessThan(tol);
    expect(R.relErr(got.dc, R.numericGrad((v) => loss(ad, bd, v), cd))).toBeLessThan(tol);
  });
});
