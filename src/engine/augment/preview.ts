/**
 * Previews for the augmentation designer: views of a few images as
 * thumbnails, with what every op did to every sample.
 *
 * Same code path and stream as training: pair k of a preview with seed S is
 * exactly what the k-th `augmentPair(set, indices, pipeline, rng)` call
 * returns for `rng = Rng.fromSeed(S)` (same indices in the same order), byte
 * for byte on the same backend; `includeValues` hands back those normalised
 * float32 values so a caller (or a test) can check it.
 *
 * Thumbnails are PNG files (default; sharp encodes them; a browser shows them
 * as-is in an <img>, and they travel well over HTTP) or raw RGBA bytes
 * (`format: 'rgba'`, for a canvas's putImageData; no encoding cost). Both are
 * the view before normalisation, rounded to bytes, at outputSize (the UI
 * scales them up with image-rendering: pixelated).
 */
import * as tf from '@tensorflow/tfjs';
import type { Pipeline } from '../../shared/pipeline.js';
import type { ImageSet } from '../data/types.js';
import type { OpRecord } from './plan.js';
import { Rng, type RngState } from './rng.js';
import { drawViews, imagesToTensor, normalizeViews } from './views.js';

export type ThumbnailFormat = 'png' | 'rgba';

export interface Thumbnail {
  width: number;
  height: number;
  format: ThumbnailFormat;
  /** PNG file bytes, or width * height * 4 RGBA bytes */
  data: Uint8Array;
}

export interface PreviewView {
  image: Thumbnail;
  /** what each enabled op did to this view, in pipeline order */
  ops: OpRecord[];
  /** the normalised float32 view (outputSize^2 * 3, HWC), as the trainer's tensor; only with includeValues */
  values?: Float32Array;
}

export interface PreviewSample {
  /** the image's index in the set */
  index: number;
  label: number;
  original: Thumbnail;
  /** `pairs` entries of [view 1, view 2] */
  pairs: [PreviewView, PreviewView][];
}

export interface AugmentPreview {
  seed: number;
  outputSize: number;
  samples: PreviewSample[];
  /** the stream after the preview (the state a trainer would have after `pairs` batches) */
  rngState: RngState;
}

export interface PreviewOptions {
  /** view pairs per image, 1..64 */
  pairs: number;
  seed: number;
  format?: ThumbnailFormat;
  includeValues?: boolean;
}

export const PREVIEW_LIMITS = { images: 256, pairs: 64 };

/** Images in [0, 1] to one RGBA byte array per sample (rounded, alpha 255). */
export async function toRgba(x: tf.Tensor4D): Promise<Uint8Array[]> {
  const [n, h, w] = x.shape;
  const all = tf.tidy(() => {
    const bytes = tf.round(tf.mul(tf.clipByValue(x, 0, 1), 255));
    const rgb = x.shape[3] === 1 ? tf.tile(bytes, [1, 1, 1, 3]) : bytes;
    return tf.concat([rgb, tf.fill([n, h, w, 1], 255)], 3);
  });
  const flat = new Uint8Array(await all.data());
  all.dispose();
  const per = h * w * 4;
  return Array.from({ length: n }, (_, i) => flat.slice(i * per, (i + 1) * per));
}

async function encode(rgba: Uint8Array, width: number, height: number, format: ThumbnailFormat): Promise<Thumbnail> {
  if (format === 'rgba') return { width, height, format, data: rgba };
  const { default: sharp } = await import('sharp');
  const png = await sharp(Buffer.from(rgba.buffer, rgba.byteOffset, rgba.byteLength), { raw: { width, height, channels: 4 } })
    .png()
    .toBuffer();
  return { width, height, format, data: new Uint8Array(png.buffer, png.byteOffset, png.byteLength) };
}

export async function previewAugmentations(set: ImageSet, indices: number[], pipeline: Pipeline, opts: PreviewOptions): Promise<AugmentPreview> {
  const format = opts.format ?? 'png';
  if (!Number.isInteger(opts.pairs) || opts.pairs < 1 || opts.pairs > PREVIEW_LIMITS.pairs) throw new RangeError(`pairs must be an integer 1..${PREVIEW_LIMITS.pairs}, got ${opts.pairs}`);
  if (indices.length < 1 || indices.length > PREVIEW_LIMITS.images) throw new RangeError(`preview takes 1..${PREVIEW_LIMITS.images} images, got ${indices.length}`);
  const rng = Rng.fromSeed(opts.seed);
  const size = pipeline.outputSize;

  const source = imagesToTensor(set, indices);
  const originals = await toRgba(source);
  source.dispose();

  const originalThumbs = await Promise.all(originals.map((rgba) => encode(rgba, set.width, set.height, format)));
  const samples: PreviewSample[] = indices.map((index, i) => ({ index, label: set.labels[index] ?? -1, original: originalThumbs[i]!, pairs: [] }));

  for (let k = 0; k < opts.pairs; k++) {
    const { views, records } = drawViews(set, indices, pipeline, rng, 2);
    const built: PreviewView[][] = [];
    for (let v = 0; v < 2; v++) {
      const view = views[v]!;
      const rgba = await toRgba(view);
      let values: Float32Array | undefined;
      if (opts.includeValues) {
        const norm = normalizeViews(view, pipeline);
        values = (await norm.data()) as Float32Array;
        norm.dispose();
      }
      view.dispose();
      const per = size * size * 3;
      built.push(
        await Promise.all(
          indices.map(async (_, i) => ({
            image: await encode(rgba[i]!, size, size, format),
            ops: records[v]![i]!,
            ...(values ? { values: values.slice(i * per, (i + 1) * per) } : {}),
          })),
        ),
      );
    }
    samples.forEach((s, i) => s.pairs.push([built[0]![i]!, built[1]![i]!]));
  }
  return { seed: opts.seed, outputSize: size, samples, rngState: rng.state() };
}
