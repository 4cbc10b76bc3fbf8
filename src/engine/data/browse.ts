import sharp from 'sharp';
import {
  datasetSummarySchema,
  imageRequestSchema,
  thumbnailPageRequestSchema,
  type DatasetSummary,
  type ImageRequest,
  type ImageResponse,
  type ThumbnailPageRequest,
  type ThumbnailPageResponse,
} from '../../shared/dataset.js';
import { openDataset, type OpenOptions } from './open.js';
import { computeStats } from './stats.js';
import { imageBytes, type Dataset, type ImageSet, type SplitName } from './types.js';

/**
 * Browsing: summaries, thumbnail pages and single images, as the shared
 * contract describes them (src/shared/dataset.ts). Images are PNG, base64 in
 * the JSON answers; `encodePng` gives the raw PNG bytes for a route that serves
 * image/png directly. Enlarging uses nearest-neighbour (a 32x32 image stays
 * crisp at 96 or 224); shrinking uses lanczos3.
 */

export function datasetSummary(ds: Dataset): DatasetSummary {
  const splits = (['train', 'test', 'val'] as SplitName[])
    .filter((n) => ds.splits[n])
    .map((name) => {
      const s = ds.splits[name]!;
      const stats = ds.stats?.[name] ?? computeStats(s, ds.classNames.length);
      return { name, height: s.height, width: s.width, channels: s.channels, ...stats };
    });
  return datasetSummarySchema.parse({ id: ds.id, name: ds.name, format: ds.format, classNames: ds.classNames, splits, checksum: ds.checksum, source: ds.source });
}

export function labelNames(ds: Dataset): string[] {
  return ds.classNames;
}

/** The name shown for a label; '' for unlabeled (-1). */
export function labelName(ds: Dataset, label: number): string {
  return label >= 0 ? (ds.classNames[label] ?? String(label)) : '';
}

function splitOf(ds: Dataset, split: SplitName): ImageSet {
  const s = ds.splits[split];
  if (!s) throw new Error(`dataset ${ds.id} has no ${split} split (it has ${Object.keys(ds.splits).join(', ')})`);
  return s;
}

/** PNG of image `index` of a set, optionally resized to a size x size square. */
export async function encodePng(set: ImageSet, index: number, size?: number): Promise<Buffer> {
  if (!Number.isInteger(index) || index < 0 || index >= set.count) throw new RangeError(`image index ${index} out of range 0..${set.count - 1}`);
  const n = imageBytes(set);
  const raw = Buffer.from(set.images.buffer, set.images.byteOffset + index * n, n);
  let img = sharp(raw, { raw: { width: set.width, height: set.height, channels: set.channels } });
  if (size !== undefined && (size !== set.width || size !== set.height)) {
    img = img.resize(size, size, { fit: 'fill', kernel: size > Math.max(set.width, set.height) ? 'nearest' : 'lanczos3' });
  }
  if (set.channels === 1) img = img.toColourspace('b-w');
  return img.png({ compressionLevel: 6 }).toBuffer();
}

/** Indices of a split's images, optionally only those of one class. */
export function filterIndices(set: ImageSet, classIndex?: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < set.count; i++) if (classIndex === undefined || set.labels[i] === classIndex) out.push(i);
  return out;
}

export async function thumbnailPage(ds: Dataset, request: Omit<ThumbnailPageRequest, 'dataset'>): Promise<ThumbnailPageResponse> {
  const req = thumbnailPageRequestSchema.parse({ ...request, dataset: ds.id });
  const set = splitOf(ds, req.split);
  if (req.classIndex !== undefined && req.classIndex >= ds.classNames.length) {
    throw new Error(`classIndex ${req.classIndex}: dataset ${ds.id} has ${ds.classNames.length} classes (0..${ds.classNames.length - 1})`);
  }
  const all = filterIndices(set, req.classIndex);
  const page = all.slice(req.offset, req.offset + req.limit);
  const size = req.size ?? set.width;
  const items = await Promise.all(
    page.map(async (index) => ({
      index,
      label: set.labels[index]!,
      labelName: labelName(ds, set.labels[index]!),
      png: (await encodePng(set, index, size)).toString('base64'),
    })),
  );
  return { split: req.split, ...(req.classIndex !== undefined ? { classIndex: req.classIndex } : {}), total: all.length, offset: req.offset, size, items };
}

export async function imageAt(ds: Dataset, request: Omit<ImageRequest, 'dataset'>): Promise<ImageResponse> {
  const req = imageRequestSchema.parse({ ...request, dataset: ds.id });
  const set = splitOf(ds, req.split);
  if (req.index >= set.count) throw new RangeError(`image ${req.index}: the ${req.split} split of ${ds.id} has ${set.count} images (0..${set.count - 1})`);
  const png = await encodePng(set, req.index, req.size);
  const side = req.size ?? undefined;
  return {
    split: req.split,
    index: req.index,
    label: set.labels[req.index]!,
    labelName: labelName(ds, set.labels[req.index]!),
    width: side ?? set.width,
    height: side ?? set.height,
    channels: set.channels,
    png: png.toString('base64'),
  };
}

/**
 * Request-level helpers for the server and IPC: validate the request, open the
 * dataset (keeping the last few open), answer. A dataset stays open until it
 * falls out of the small most-recently-used list.
 */
const opened = new Map<string, Promise<Dataset>>();
const KEEP_OPEN = 2;

export function openForBrowsing(dataset: ThumbnailPageRequest['dataset'], opts: OpenOptions = {}): Promise<Dataset> {
  const key = JSON.stringify([dataset, opts.dataRoot ?? null]);
  let p = opened.get(key);
  if (p) {
    opened.delete(key);
  } else {
    p = openDataset(dataset, { dataRoot: opts.dataRoot, signal: opts.signal });
    p.catch(() => opened.delete(key));
  }
  opened.set(key, p);
  while (opened.size > KEEP_OPEN) opened.delete(opened.keys().next().value!);
  return p;
}

/** Forget datasets opened for browsing (after a re-import, or to free memory). */
export function closeBrowsing(): void {
  opened.clear();
}

export async function handleThumbnailPage(request: unknown, opts: OpenOptions = {}): Promise<ThumbnailPageResponse> {
  const req = thumbnailPageRequestSchema.parse(request);
  const { dataset, ...rest } = req;
  return thumbnailPage(await openForBrowsing(dataset, opts), rest);
}

export async function handleImage(request: unknown, opts: OpenOptions = {}): Promise<ImageResponse> {
  const req = imageRequestSchema.parse(request);
  const { dataset, ...rest } = req;
  return imageAt(await openForBrowsing(dataset, opts), rest);
}

export async function handleSummary(dataset: ThumbnailPageRequest['dataset'], opts: OpenOptions = {}): Promise<DatasetSummary> {
  return datasetSummary(await openForBrowsing(dataset, opts));
}
