import type { SplitStats } from '../../shared/dataset.js';

/**
 * In-memory image data, the form every engine stage consumes: uint8 pixels in
 * NHWC order (row-major, channels last), one label per image.
 */
export interface ImageSet {
  /** count * height * width * channels bytes, NHWC */
  images: Uint8Array;
  /** class index per image; -1 where the set is unlabeled */
  labels: Int32Array;
  count: number;
  height: number;
  width: number;
  channels: 1 | 3;
}

export type SplitName = 'train' | 'test' | 'val';

export interface Dataset {
  /** stable identifier, e.g. "cifar10" or "folder:my-photos" */
  id: string;
  name: string;
  format: 'cifar10' | 'cifar100' | 'idx' | 'folder';
  classNames: string[];
  splits: Partial<Record<SplitName, ImageSet>> & { train: ImageSet };
  /** sha256 over decoded pixels then labels of each split (train, test), hex; set when opened through the cache */
  checksum?: string;
  /** the folder, archive or URL it came from */
  source?: string;
  /** per-split statistics computed at import (openDataset fills it) */
  stats?: Partial<Record<SplitName, SplitStats>>;
}

/** Bytes of one image of a set. */
export function imageBytes(set: ImageSet): number {
  return set.height * set.width * set.channels;
}

/** A new ImageSet holding the given images (copied), in the given order. */
export function subset(set: ImageSet, indices: ArrayLike<number>): ImageSet {
  const size = imageBytes(set);
  const images = new Uint8Array(indices.length * size);
  const labels = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i]!;
    if (j < 0 || j >= set.count) throw new RangeError(`image index ${j} out of range 0..${set.count - 1}`);
    images.set(set.images.subarray(j * size, (j + 1) * size), i * size);
    labels[i] = set.labels[j]!;
  }
  return { ...set, images, labels, count: indices.length };
}
