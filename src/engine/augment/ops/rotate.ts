/**
 * rotate90: random quarter turns, exact (transposes and reversals).
 * rotate: arbitrary angles about the image centre, bilinear, constant fill:
 * on native TensorFlow its ImageProjectiveTransformV3 kernel (tfjs-node
 * registers no Transform kernel, but the op is reachable through the
 * backend), where the backend has a working Transform kernel (wasm)
 * tf.image.transform, elsewhere an equivalent gather-based bilinear sampler.
 * All three agree with TensorFlow's semantics (see rotatePath).
 *
 * Angles are counter-clockwise as seen on screen (y pointing down).
 */
import * as tf from '@tensorflow/tfjs';
import type { OpDef } from '../op.js';
import { applyGroups } from '../tensor-util.js';

export interface Rotate90Draw {
  /** counter-clockwise quarter turns, 0..3 */
  quarterTurns: number;
  degrees: number;
}

/** Counter-clockwise rotation by k quarter turns of square images. */
export function rot90(x: tf.Tensor4D, k: number): tf.Tensor4D {
  switch (((k % 4) + 4) % 4) {
    case 1:
      return tf.reverse(tf.transpose(x, [0, 2, 1, 3]), 1);
    case 2:
      return tf.reverse(x, [1, 2]);
    case 3:
      return tf.reverse(tf.transpose(x, [0, 2, 1, 3]), 2);
    default:
      return x;
  }
}

export const rotate90: OpDef<'rotate90', Rotate90Draw> = {
  op: 'rotate90',
  check: (_params, ctx, step) => {
    if (ctx.height !== ctx.width) {
      throw new Error(`ops[${step}] rotate90: the images are ${ctx.width}x${ctx.height} there; quarter turns need square images, so put rotate90 after randomResizedCrop or centerCrop`);
    }
  },
  draw: (_params, rng) => {
    const quarterTurns = rng.int(4);
    return { quarterTurns, degrees: 90 * quarterTurns };
  },
  apply: (x, _params, draws) =>
    applyGroups(
      x,
      [1, 2, 3].map((k) => ({ idx: draws.flatMap((d, i) => (d.quarterTurns === k ? [i] : [])), fn: (sub: tf.Tensor4D) => rot90(sub, k) })),
    ),
};

/**
 * The tf.image.transform row [a0, a1, a2, b0, b1, b2, 0, 0] mapping an output
 * pixel (x, y) to the input point it samples, for a counter-clockwise rotation
 * by `degrees` about the centre ((w - 1) / 2, (h - 1) / 2).
 */
export function rotationTransform(degrees: number, height: number, width: number): number[] {
  const t = (degrees * Math.PI) / 180;
  const cos = Math.cos(t);
  const sin = Math.sin(t);
  const cx = (width - 1) / 2;
  const cy = (height - 1) / 2;
  return [cos, -sin, cx - cos * cx + sin * cy, sin, cos, cy - sin * cx - cos * cy, 0, 0];
}

/**
 * Bilinear sampling of each sample at affine source points (rows of
 * rotationTransform's form, projective terms 0) with constant fill outside,
 * as TensorFlow's ImageProjectiveTransform: each of the four neighbours
 * outside the image reads `fill`. Built from gathers, so any backend runs it.
 */
export function affineSample(x: tf.Tensor4D, transforms: number[][], fill: number): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const col = (k: number) => tf.tensor4d(transforms.map((t) => t[k]!), [n, 1, 1, 1]);
  const xs = tf.reshape(tf.range(0, w, 1, 'float32'), [1, 1, w, 1]);
  const ys = tf.reshape(tf.range(0, h, 1, 'float32'), [1, h, 1, 1]);
  const sx = tf.add(tf.add(tf.mul(col(0), xs), tf.mul(col(1), ys)), col(2));
  const sy = tf.add(tf.add(tf.mul(col(3), xs), tf.mul(col(4), ys)), col(5));
  const x0 = tf.floor(sx);
  const y0 = tf.floor(sy);
  const fx = tf.sub(sx, x0);
  const fy = tf.sub(sy, y0);
  const flat = tf.concat([tf.reshape(x, [n * h * w, c]), tf.fill([1, c], fill)], 0); // last row: the fill value
  const base = tf.reshape(tf.mul(tf.range(0, n, 1, 'float32'), h * w), [n, 1, 1, 1]);
  const corner = (cy: tf.Tensor, cx: tf.Tensor): tf.Tensor4D => {
    const inside = tf.logicalAnd(tf.logicalAnd(tf.greaterEqual(cx, 0), tf.less(cx, w)), tf.logicalAnd(tf.greaterEqual(cy, 0), tf.less(cy, h)));
    const index = tf.where(inside, tf.add(base, tf.add(tf.mul(cy, w), cx)), tf.fill(inside.shape, n * h * w));
    return tf.reshape(tf.gather(flat, tf.cast(tf.reshape(index, [-1]), 'int32')), [n, h, w, c]);
  };
  const x1 = tf.add(x0, 1);
  const y1 = tf.add(y0, 1);
  const top = tf.add(tf.mul(corner(y0, x0), tf.sub(1, fx)), tf.mul(corner(y0, x1), fx));
  const bottom = tf.add(tf.mul(corner(y1, x0), tf.sub(1, fx)), tf.mul(corner(y1, x1), fx));
  return tf.add(tf.mul(top, tf.sub(1, fy)), tf.mul(bottom, fy));
}

interface NativeBackend {
  binding: { TF_ATTR_TYPE: number; TF_ATTR_STRING: number; TF_FLOAT: number };
  executeSingleOutput(name: string, attrs: { name: string; type: number; value: unknown }[], inputs: tf.Tensor[]): tf.Tensor;
}

function nativeBackend(): NativeBackend | null {
  if (tf.getBackend() !== 'tensorflow') return null;
  const b = tf.backend() as unknown as Partial<NativeBackend>;
  return typeof b.executeSingleOutput === 'function' && b.binding ? (b as NativeBackend) : null;
}

/**
 * How `rotate` runs on the active backend: 'native' (tensorflow:
 * ImageProjectiveTransformV3), 'transform' (tf.image.transform, where the
 * backend has a Transform kernel that handles whole batches; not cpu, whose
 * tfjs 4.22 kernel returns after the first image) or 'sampler' (affineSample).
 */
export function rotatePath(): 'native' | 'transform' | 'sampler' {
  if (nativeBackend()) return 'native';
  const backend = tf.getBackend();
  return backend !== 'cpu' && tf.getKernel('Transform', backend) !== undefined ? 'transform' : 'sampler';
}

function nativeTransform(b: NativeBackend, x: tf.Tensor4D, rows: number[][], fill: number): tf.Tensor4D {
  const attrs = [
    { name: 'dtype', type: b.binding.TF_ATTR_TYPE, value: b.binding.TF_FLOAT },
    { name: 'interpolation', type: b.binding.TF_ATTR_STRING, value: 'BILINEAR' },
    { name: 'fill_mode', type: b.binding.TF_ATTR_STRING, value: 'CONSTANT' },
  ];
  const [, h, w] = x.shape;
  return b.executeSingleOutput('ImageProjectiveTransformV3', attrs, [x, tf.tensor2d(rows), tf.tensor1d([h, w], 'int32'), tf.scalar(fill)]) as tf.Tensor4D;
}

export const rotate: OpDef<'rotate', { degrees: number }> = {
  op: 'rotate',
  draw: (params, rng) => ({ degrees: rng.uniform(params.degrees[0], params.degrees[1]) }),
  apply: (x, params, draws) => {
    const [, h, w] = x.shape;
    const rows = draws.map((d) => rotationTransform(d.degrees, h, w));
    const path = rotatePath();
    if (path === 'native') return nativeTransform(nativeBackend()!, x, rows, params.fill);
    if (path === 'transform') return tf.image.transform(x, tf.tensor2d(rows), 'bilinear', 'constant', params.fill);
    return affineSample(x, rows, params.fill);
  },
};
