import buffer from 'node:buffer';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp, { type Metadata } from 'sharp';
import type { DatasetProgress, ImportReport } from '../../shared/dataset.js';
import type { Dataset, ImageSet, SplitName } from './types.js';
import { abortError } from '../abort.js';

/**
 * Image folders, decoded with sharp (libvips):
 *
 *   root/<class>/**.png|jpg|jpeg|webp            labelled, classes sorted by folder name
 *   root/{train,test,val}/<class>/**             the same, with splits
 *   root/*.png ...                                 unlabeled (label -1), for pretraining only
 *
 * Every image is turned upright (EXIF orientation), composited over black if it
 * has alpha, centre-cropped to a square and resized to `size` x `size` with
 * lanczos3; images already that size are copied untouched. Files that fail to
 * decode are skipped and listed in the report; the rest load. An empty class
 * folder is an error (its class would have no examples).
 */

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.webp'];
const SPLIT_DIRS: SplitName[] = ['train', 'test', 'val'];

export interface FolderReadOptions {
  /** square side of the decoded images; default the most common min(width, height), at most 512 */
  size?: number;
  /** one channel (luminance) instead of RGB */
  grayscale?: boolean;
  id?: string;
  name?: string;
  /** images decoded at once (default: CPU count, at least 2) */
  concurrency?: number;
  signal?: AbortSignal;
  onProgress?: (event: DatasetProgress) => void;
}

export interface FolderReadResult {
  dataset: Dataset;
  report: ImportReport;
}

const isImage = (name: string) => IMAGE_EXTENSIONS.includes(path.extname(name).toLowerCase());
const visible = (name: string) => !name.startsWith('.');

function listDir(dir: string): fs.Dirent[] {
  try {
    return fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((d) => visible(d.name))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? `${dir}: folder not found` : code === 'ENOTDIR' ? `${dir}: not a folder` : `${dir}: ${(err as Error).message}`);
  }
}

/** Image files under dir, recursively, in sorted path order. */
function imagesUnder(dir: string, ignored: string[]): string[] {
  const out: string[] = [];
  for (const d of listDir(dir)) {
    const p = path.join(dir, d.name);
    if (d.isDirectory()) out.push(...imagesUnder(p, ignored));
    else if (d.isFile() && isImage(d.name)) out.push(p);
    else ignored.push(p);
  }
  return out;
}

interface Item {
  file: string;
  split: SplitName;
  label: number;
}

/** Work out the layout (splits, classes) and the list of image files. Throws on empty class folders. */
export function scanImageFolder(root: string): { classNames: string[]; items: Item[]; warnings: string[]; ignored: string[] } {
  const entries = listDir(root);
  const dirs = entries.filter((d) => d.isDirectory()).map((d) => d.name);
  const looseImages = entries.filter((d) => d.isFile() && isImage(d.name)).map((d) => path.join(root, d.name));
  const warnings: string[] = [];
  const ignored: string[] = [];

  const splitDirs = dirs.filter((d) => (SPLIT_DIRS as string[]).includes(d));
  const splitLayout = splitDirs.length > 0 && splitDirs.includes('train') && splitDirs.every((s) => listDir(path.join(root, s)).some((d) => d.isDirectory()));
  if (!splitLayout && dirs.length === 0) {
    if (looseImages.length === 0) throw new Error(`${root}: no PNG, JPEG or WebP images and no class folders; put one folder per class (or the images themselves) here`);
    return { classNames: [], items: looseImages.map((file) => ({ file, split: 'train', label: -1 })), warnings, ignored };
  }

  const layout: Array<{ split: SplitName; dir: string }> = splitLayout
    ? (splitDirs as SplitName[]).map((s) => ({ split: s, dir: path.join(root, s) }))
    : [{ split: 'train', dir: root }];
  if (splitLayout && dirs.length > splitDirs.length) {
    warnings.push(`${root}: folders ${dirs.filter((d) => !splitDirs.includes(d)).join(', ')} ignored (the dataset uses train/test/val split folders)`);
  }
  const classSet = new Set<string>();
  for (const { dir } of layout) for (const d of listDir(dir)) if (d.isDirectory()) classSet.add(d.name);
  const classNames = [...classSet].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

  const items: Item[] = [];
  for (const { split, dir } of layout) {
    const loose = listDir(dir).filter((d) => d.isFile() && isImage(d.name));
    if (loose.length > 0) warnings.push(`${dir}: ${loose.length} images outside any class folder ignored (e.g. ${loose[0]!.name})`);
    for (const [label, cls] of classNames.entries()) {
      const cdir = path.join(dir, cls);
      if (!fs.existsSync(cdir)) continue;
      const files = imagesUnder(cdir, ignored);
      if (files.length === 0) {
        throw new Error(`${cdir}: class folder "${cls}" has no PNG, JPEG or WebP images; add images to it or remove the folder`);
      }
      for (const file of files) items.push({ file, split, label });
    }
  }
  const links = ignored.filter((p) => fs.lstatSync(p, { throwIfNoEntry: false })?.isSymbolicLink());
  const others = ignored.filter((p) => !links.includes(p));
  if (links.length > 0) warnings.push(`${links.length} symbolic links ignored: symbolic link, not followed (e.g. ${links[0]})`);
  if (others.length > 0) warnings.push(`${others.length} files that are not PNG, JPEG or WebP ignored (e.g. ${others[0]})`);
  return { classNames, items, warnings, ignored };
}

/** Size after EXIF rotation. */
function uprightSize(meta: Metadata): { w: number; h: number } {
  const w = meta.width ?? 0;
  const h = meta.height ?? 0;
  return (meta.orientation ?? 1) >= 5 ? { w: h, h: w } : { w, h };
}

async function pool<T>(items: T[], limit: number, work: (item: T, i: number) => Promise<void>, signal?: AbortSignal): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      if (signal?.aborted) throw abortError();
      const i = next++;
      await work(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Decode one image file to size x size raw pixels (channels 1 or 3). */
export async function decodeImageFile(input: string | Buffer, size: number, channels: 1 | 3): Promise<{ pixels: Buffer; width: number; height: number }> {
  const img = sharp(input, { failOn: 'error' });
  const meta = await img.metadata();
  const { w, h } = uprightSize(meta);
  let pipe = img.rotate().flatten({ background: '#000000' });
  if (w !== size || h !== size) pipe = pipe.resize(size, size, { fit: 'cover', position: 'centre', kernel: 'lanczos3' });
  pipe = channels === 1 ? pipe.grayscale() : pipe.toColourspace('srgb');
  const { data, info } = await pipe.raw().toBuffer({ resolveWithObject: true });
  if (info.width !== size || info.height !== size || info.channels !== channels) {
    throw new Error(`decoded to ${info.width}x${info.height}x${info.channels}, expected ${size}x${size}x${channels}`);
  }
  return { pixels: data, width: w, height: h };
}

function shortReason(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0]!.replace(/^Input (buffer|file) /, 'image ');
}

/** Read an image folder (see the header of this file for the layouts). */
export async function readImageFolder(root: string, opts: FolderReadOptions = {}): Promise<FolderReadResult> {
  const abs = path.resolve(root);
  const { classNames, items, warnings } = scanImageFolder(abs);
  const channels: 1 | 3 = opts.grayscale ? 1 : 3;
  const concurrency = opts.concurrency ?? Math.max(2, os.availableParallelism());
  const skipped: Array<{ file: string; reason: string }> = [];
  const sizes = new Map<string, number>();
  const dims: Array<{ w: number; h: number } | null> = new Array(items.length).fill(null);

  // Pass 1 (only when no size is given): read headers to pick the most common size.
  let size = opts.size;
  if (size === undefined) {
    const sides = new Map<number, number>();
    await pool(
      items,
      concurrency,
      async (it, i) => {
        try {
          const d = uprightSize(await sharp(it.file).metadata());
          if (!d.w || !d.h) throw new Error('no width/height in the header');
          dims[i] = d;
          const side = Math.min(d.w, d.h);
          sides.set(side, (sides.get(side) ?? 0) + 1);
        } catch {
          // reported by the decode pass
        }
      },
      opts.signal,
    );
    const best = [...sides.entries()].sort((a, b) => b[1] - a[1] || b[0] - a[0])[0];
    size = Math.min(512, best?.[0] ?? 32);
  }

  const px = size * size * channels;
  if (items.length * px > buffer.constants.MAX_LENGTH) {
    throw new Error(
      `${abs}: ${items.length} images of ${size}x${size}x${channels} need ${(items.length * px / 2 ** 30).toFixed(1)} GiB, more than one in-memory array holds (${(buffer.constants.MAX_LENGTH / 2 ** 30).toFixed(0)} GiB); choose a smaller size`,
    );
  }
  const out = new Uint8Array(items.length * px);
  const ok = new Uint8Array(items.length);
  let done = 0;
  await pool(
    items,
    concurrency,
    async (it, i) => {
      try {
        const r = await decodeImageFile(await fs.promises.readFile(it.file), size, channels);
        out.set(r.pixels, i * px);
        ok[i] = 1;
        const key = `${r.width}x${r.height}`;
        sizes.set(key, (sizes.get(key) ?? 0) + 1);
      } catch (err) {
        skipped.push({ file: it.file, reason: `cannot decode: ${shortReason(err)}` });
      }
      done++;
      if (opts.onProgress && (done % 64 === 0 || done === items.length)) opts.onProgress({ phase: 'decode', file: abs, done, total: items.length });
    },
    opts.signal,
  );
  skipped.sort((a, b) => (a.file < b.file ? -1 : 1));
  for (const s of skipped) warnings.push(`${s.file}: skipped, ${s.reason}`);

  // Build one set per split, in file order, without the skipped images.
  const splits: Partial<Record<SplitName, ImageSet>> = {};
  const counts: Record<string, number> = {};
  for (const split of SPLIT_DIRS) {
    const idx = items.map((it, i) => (it.split === split && ok[i] ? i : -1)).filter((i) => i >= 0);
    if (!items.some((it) => it.split === split)) continue;
    if (idx.length === 0) throw new Error(`${abs}: none of the ${split} images could be decoded (first error: ${skipped[0]?.file}: ${skipped[0]?.reason})`);
    const images = new Uint8Array(idx.length * px);
    const labels = new Int32Array(idx.length);
    idx.forEach((j, k) => {
      images.set(out.subarray(j * px, (j + 1) * px), k * px);
      labels[k] = items[j]!.label;
    });
    splits[split] = { images, labels, count: idx.length, height: size, width: size, channels };
    counts[split] = idx.length;
  }
  // A class whose every image failed to decode would silently vanish: say so.
  for (const [c, name] of classNames.entries()) {
    const have = Object.values(splits).some((s) => s!.labels.includes(c));
    if (!have) throw new Error(`${abs}: class "${name}": none of its images could be decoded; fix or remove them`);
  }

  const key = `${size}x${size}`;
  const resized = [...sizes.entries()].filter(([k]) => k !== key).reduce((a, [, n]) => a + n, 0);
  if (sizes.size > 1) {
    const list = [...sizes.entries()].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k}: ${n}`);
    warnings.push(`${abs}: images have mixed sizes (${list.slice(0, 8).join(', ')}${list.length > 8 ? ', ...' : ''}); all were centre-cropped and resized to ${key}`);
  } else if (resized > 0) {
    warnings.push(`${abs}: images are ${[...sizes.keys()][0]}; resized to ${key}`);
  }

  const base = path.basename(abs);
  const dataset: Dataset = {
    id: opts.id ?? `folder-${base.toLowerCase().replace(/[^a-z0-9._-]+/g, '-')}`,
    name: opts.name ?? base,
    format: 'folder',
    classNames,
    splits: splits as Dataset['splits'],
  };
  return { dataset, report: { id: dataset.id, counts, skipped, resized, sizes: Object.fromEntries(sizes), warnings } };
}
