import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { DATASET_FORMATS, SPLIT_NAMES, splitStatsSchema, type ImportReport } from '../../shared/dataset.js';
import type { Dataset, ImageSet, SplitName } from './types.js';
import { bytesOf } from './util.js';
import { fsyncDir } from '../fs/atomic.js';

/**
 * The decoded cache: one file per dataset, `<data-root>/datasets/<id>/dataset.bin`.
 *
 *   bytes 0-7    "SIMCLRDS"
 *   bytes 8-11   format version, uint32 little-endian (1)
 *   bytes 12-15  header length H, uint32 little-endian
 *   16..16+H     header, UTF-8 JSON (cacheHeaderSchema below)
 *   padding to a multiple of 64, then the data: per split, in header order,
 *   the uint8 NHWC pixels, then the labels as int32 little-endian; every block
 *   starts on an 8-byte boundary. Offsets in the header count from the data start.
 *
 * Written to a temp name in the same folder, fsynced, then renamed over, so a
 * reader sees the old file or the new one, never a mix; a failed import leaves
 * the old one untouched. Read with one read per block straight into the typed
 * arrays the Dataset hands out (no parsing, no copies).
 */

const MAGIC = Buffer.from('SIMCLRDS', 'ascii');
const VERSION = 1;
export const CACHE_FILE = 'dataset.bin';

const blockSchema = z.object({ offset: z.number().int().min(0), bytes: z.number().int().min(0) });
const splitHeaderSchema = z.object({
  name: z.enum(SPLIT_NAMES),
  count: z.number().int().min(0),
  height: z.number().int().positive(),
  width: z.number().int().positive(),
  channels: z.union([z.literal(1), z.literal(3)]),
  images: blockSchema,
  labels: blockSchema,
});
export const cacheHeaderSchema = z.object({
  id: z.string(),
  name: z.string(),
  format: z.enum(DATASET_FORMATS),
  classNames: z.array(z.string()),
  splits: z.array(splitHeaderSchema).min(1),
  stats: z.record(z.string(), splitStatsSchema),
  /** sha256 over pixels then labels of train, then test (see contentChecksum) */
  checksum: z.string(),
  /** sha256 of the source files as read at import */
  sourceChecksum: z.string(),
  /** cheap identity of the source (names, sizes, modification times, options) to notice changes */
  sourceFingerprint: z.string(),
  source: z.string(),
  createdAt: z.string(),
  dataBytes: z.number().int().min(0),
  warnings: z.array(z.string()).default([]),
  skipped: z.number().int().default(0),
});
export type CacheHeader = z.infer<typeof cacheHeaderSchema>;

export function cacheDir(dataRoot: string, id: string): string {
  return path.join(dataRoot, 'datasets', id);
}

export function cacheFile(dataRoot: string, id: string): string {
  return path.join(cacheDir(dataRoot, id), CACHE_FILE);
}

const align = (n: number, to: number) => Math.ceil(n / to) * to;

function checkEndianness(): void {
  if (os.endianness() !== 'LE') throw new Error('the dataset cache stores little-endian labels; this big-endian machine is not supported');
}

export interface WriteCacheInfo {
  checksum: string;
  sourceChecksum: string;
  sourceFingerprint: string;
  source: string;
  stats: CacheHeader['stats'];
  report?: Pick<ImportReport, 'warnings' | 'skipped'>;
}

/** Write ds to its cache file atomically; returns the file path and the header written. */
export async function writeCache(dataRoot: string, ds: Dataset, info: WriteCacheInfo): Promise<{ file: string; header: CacheHeader }> {
  checkEndianness();
  const order = SPLIT_NAMES.filter((n) => ds.splits[n]);
  let at = 0;
  const blocks: Uint8Array[] = [];
  const splits = order.map((name) => {
    const s = ds.splits[name]!;
    const images = { offset: at, bytes: s.images.byteLength };
    at = align(at + images.bytes, 8);
    const labels = { offset: at, bytes: s.labels.byteLength };
    at = align(at + labels.bytes, 8);
    blocks.push(s.images, bytesOf(s.labels));
    return { name, count: s.count, height: s.height, width: s.width, channels: s.channels, images, labels };
  });
  const header: CacheHeader = {
    id: ds.id,
    name: ds.name,
    format: ds.format,
    classNames: ds.classNames,
    splits,
    stats: info.stats,
    checksum: info.checksum,
    sourceChecksum: info.sourceChecksum,
    sourceFingerprint: info.sourceFingerprint,
    source: info.source,
    createdAt: new Date().toISOString(),
    dataBytes: at,
    warnings: info.report?.warnings ?? [],
    skipped: info.report?.skipped.length ?? 0,
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const dataStart = align(16 + json.length, 64);
  const head = Buffer.alloc(dataStart);
  MAGIC.copy(head, 0);
  head.writeUInt32LE(VERSION, 8);
  head.writeUInt32LE(json.length, 12);
  json.copy(head, 16);

  const dir = path.join(dataRoot, 'datasets', ds.id);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, CACHE_FILE);
  const tmp = path.join(dir, `.${CACHE_FILE}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`);
  const fh = await fs.promises.open(tmp, 'w');
  try {
    await writeAll(fh, head, 0);
    for (const [i, s] of splits.entries()) {
      await writeAll(fh, blocks[2 * i]!, dataStart + s.images.offset);
      await writeAll(fh, blocks[2 * i + 1]!, dataStart + s.labels.offset);
    }
    await fh.truncate(dataStart + at);
    await fh.sync();
    const size = (await fh.stat()).size;
    if (size !== dataStart + at) throw new Error(`${size} of ${dataStart + at} bytes on disk after writing`);
    await fh.close();
    fs.renameSync(tmp, file);
    fsyncDir(dir);
  } catch (err) {
    await fh.close().catch(() => {});
    fs.rmSync(tmp, { force: true });
    const full = (err as NodeJS.ErrnoException).code === 'ENOSPC' ? ': the disk is full; free some space and retry' : '';
    throw new Error(`dataset cache: could not write ${file} (${(err as Error).message})${full}; the previous cache, if any, is unchanged`);
  }
  return { file, header };
}

const CHUNK = 1 << 30;

async function writeAll(fh: fs.promises.FileHandle, data: Uint8Array, position: number): Promise<void> {
  for (let off = 0; off < data.length; ) {
    const { bytesWritten } = await fh.write(data, off, Math.min(CHUNK, data.length - off), position + off);
    if (!(bytesWritten > 0)) throw Object.assign(new Error(`only ${off} of ${data.length} bytes could be written`), { code: 'ENOSPC' });
    off += bytesWritten;
  }
}

async function readAll(fh: fs.promises.FileHandle, into: Uint8Array, position: number, file: string): Promise<void> {
  for (let off = 0; off < into.length; ) {
    const { bytesRead } = await fh.read(into, off, Math.min(CHUNK, into.length - off), position + off);
    if (bytesRead === 0) throw new Error(`${file}: cache file ends early; re-import the dataset`);
    off += bytesRead;
  }
}

async function readHeaderFrom(fh: fs.promises.FileHandle, file: string): Promise<{ header: CacheHeader; dataStart: number; size: number }> {
  const { size } = await fh.stat();
  const pre = Buffer.alloc(16);
  const { bytesRead } = await fh.read(pre, 0, 16, 0);
  if (bytesRead < 16 || !pre.subarray(0, 8).equals(MAGIC)) throw new Error(`${file}: not a SimCLR Workbench dataset cache (wrong magic); delete it and import the dataset again`);
  const version = pre.readUInt32LE(8);
  if (version !== VERSION) throw new Error(`${file}: cache format version ${version}, this build reads version ${VERSION}; import the dataset again`);
  const len = pre.readUInt32LE(12);
  if (16 + len > size) throw new Error(`${file}: cache header runs past the end of the file (truncated); import the dataset again`);
  const json = Buffer.alloc(len);
  await fh.read(json, 0, len, 16);
  let parsed: unknown;
  try {
    parsed = JSON.parse(json.toString('utf8'));
  } catch {
    throw new Error(`${file}: cache header is not valid JSON (damaged file); import the dataset again`);
  }
  const r = cacheHeaderSchema.safeParse(parsed);
  if (!r.success) throw new Error(`${file}: cache header is invalid (${r.error.issues[0]?.path.join('.')}: ${r.error.issues[0]?.message}); import the dataset again`);
  const dataStart = align(16 + len, 64);
  if (dataStart + r.data.dataBytes !== size) {
    throw new Error(`${file}: cache file is ${size} bytes, its header says ${dataStart + r.data.dataBytes} (truncated or damaged); import the dataset again`);
  }
  return { header: r.data, dataStart, size };
}

/** The header only (for listing): a few hundred bytes read. */
export async function readCacheHeader(file: string): Promise<{ header: CacheHeader; size: number }> {
  const fh = await fs.promises.open(file, 'r');
  try {
    const { header, size } = await readHeaderFrom(fh, file);
    return { header, size };
  } finally {
    await fh.close();
  }
}

/** Open a cache file: the Dataset (checksum, source and stats filled in) and its header. */
export async function readCache(file: string): Promise<{ dataset: Dataset; header: CacheHeader }> {
  checkEndianness();
  let fh: fs.promises.FileHandle;
  try {
    fh = await fs.promises.open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`${file}: no such dataset cache`);
    throw err;
  }
  try {
    const { header, dataStart } = await readHeaderFrom(fh, file);
    const splits: Partial<Record<SplitName, ImageSet>> = {};
    for (const s of header.splits) {
      const px = s.count * s.height * s.width * s.channels;
      if (s.images.bytes !== px || s.labels.bytes !== 4 * s.count) throw new Error(`${file}: split ${s.name} block sizes do not match its ${s.count} images; import the dataset again`);
      const images = new Uint8Array(px);
      const labels = new Int32Array(s.count);
      await readAll(fh, images, dataStart + s.images.offset, file);
      await readAll(fh, bytesOf(labels) as Uint8Array, dataStart + s.labels.offset, file);
      splits[s.name] = { images, labels, count: s.count, height: s.height, width: s.width, channels: s.channels };
    }
    if (!splits.train) throw new Error(`${file}: cache has no train split; import the dataset again`);
    const dataset: Dataset = {
      id: header.id,
      name: header.name,
      format: header.format,
      classNames: header.classNames,
      splits: splits as Dataset['splits'],
      checksum: header.checksum,
      source: header.source,
      stats: header.stats as Dataset['stats'],
    };
    return { dataset, header };
  } finally {
    await fh.close();
  }
}
