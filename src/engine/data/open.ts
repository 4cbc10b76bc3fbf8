import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  BUILTIN_DATASET_IDS,
  toDatasetRef,
  type BuiltinDatasetId,
  type DatasetListEntry,
  type DatasetProgress,
  type DatasetRef,
  type DatasetRefInput,
  type ImportReport,
  type SplitStats,
} from '../../shared/dataset.js';
import { assertInsideFolder } from '../fs/contained.js';
import { archiveLayout, extractMembers, isArchivePath, listArchive } from './archive.js';
import { cacheFile, readCache, readCacheHeader, writeCache, type CacheHeader } from './cache.js';
import { cifar100Files, cifar10Files, readCifar10, readCifar100 } from './cifar.js';
import { downloadFile } from './download.js';
import { readImageFolder, scanImageFolder } from './folder.js';
import { FASHION_MNIST_CLASSES, idxFiles, looksLikeIdxFolder, readIdxFolder } from './idx.js';
import { SOURCES, defaultDataRoot, expandHome, type DatasetSource } from './sources.js';
import { computeStats, contentChecksum, splitTrainVal, type ValSplitOptions } from './stats.js';
import type { Dataset, SplitName } from './types.js';
import { throwIfAborted } from '../abort.js';
import { hashFile } from './util.js';
import { NotFoundError } from '../errors.js';

type PathRef = Extract<DatasetRef, { kind: 'path' }>;
type Format = Dataset['format'];

export interface DataOptions {
  /** default: defaultDataRoot() */
  dataRoot?: string;
  signal?: AbortSignal;
  onProgress?: (event: DatasetProgress) => void;
  /** download/import: replace the builtin sources (a private mirror with its own checksums) */
  sources?: Partial<Record<BuiltinDatasetId, Partial<DatasetSource>>>;
}

export interface OpenOptions extends DataOptions {
  /** read and write the cache (default true); false reads the source and writes nothing */
  cache?: boolean;
  /** import again even when the cache is up to date */
  refresh?: boolean;
  /** carve a validation split out of train (deterministic for a given seed) */
  val?: ValSplitOptions;
}

export interface ImportResult {
  dataset: Dataset;
  report: ImportReport;
}

const rootOf = (opts: DataOptions) => path.resolve(opts.dataRoot ?? defaultDataRoot());
const sourceOf = (id: BuiltinDatasetId, opts: DataOptions): DatasetSource => ({ ...SOURCES[id], ...opts.sources?.[id] }) as DatasetSource;
const hash8 = (s: string) => crypto.createHash('sha256').update(s).digest('hex').slice(0, 8);
const slug = (s: string) =>
  s
    .toLowerCase()
    .replace(/\.(tar\.gz|tgz|tar)$/, '')
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+|-+$/g, '')
    .slice(0, 40) || 'data';

/** Absolute path of a path ref (~ expanded, relative to the working directory). */
export function refPath(ref: PathRef): string {
  return path.resolve(expandHome(ref.path));
}

/** What a folder or archive holds, from its file names. */
export function detectFormat(p: string): Format | 'archive' {
  const st = fs.statSync(p, { throwIfNoEntry: false });
  if (!st) throw new Error(`${p}: no such file or folder`);
  if (st.isFile()) {
    if (isArchivePath(p)) return 'archive';
    throw new Error(`${p}: not a folder or a .tar.gz/.tgz/.tar archive`);
  }
  const names = fs.readdirSync(p);
  if (names.some((n) => /^data_batch_\d\.bin$/.test(n))) return 'cifar10';
  if (names.includes('train.bin') && names.some((n) => /label_names\.txt$/.test(n))) return 'cifar100';
  if (looksLikeIdxFolder(p)) return 'idx';
  return 'folder';
}

/** Options that change the decoded result, so they take part in the id and fingerprint. */
function refOptions(ref: PathRef, format: Format | 'archive'): Record<string, unknown> {
  if (format === 'cifar100' || format === 'archive') return { labels: ref.labels, size: ref.size, grayscale: ref.grayscale };
  if (format === 'folder') return { size: ref.size ?? 'auto', grayscale: ref.grayscale };
  if (format === 'idx') return { classNames: ref.classNames };
  return {};
}

/** The builtin whose official archive this is, judged by file name (the MD5 is checked at import). */
function builtinForArchive(p: string, labels: 'fine' | 'coarse'): BuiltinDatasetId | undefined {
  const base = path.basename(p);
  if (base === SOURCES.cifar10.files[0]!.name) return 'cifar10';
  if (base === SOURCES.cifar100.files[0]!.name) return labels === 'coarse' ? 'cifar100-coarse' : 'cifar100';
  return undefined;
}

/** The cache id a ref opens. */
export function datasetIdFor(refInput: string | DatasetRefInput): string {
  const ref = toDatasetRef(refInput);
  if (ref.kind !== 'path') return ref.id;
  if (ref.id) return ref.id;
  const abs = refPath(ref);
  const detected = ref.format === 'auto' ? detectFormat(abs) : ref.format;
  if (detected === 'archive') {
    const b = builtinForArchive(abs, ref.labels);
    if (b) return b;
  }
  const fmt = detected === 'cifar100' && ref.labels === 'coarse' ? 'cifar100-coarse' : detected;
  return `${fmt}-${slug(path.basename(abs))}-${hash8(abs + '\0' + JSON.stringify(refOptions(ref, detected)))}`;
}

/** The files a path ref reads (for the fingerprint and the source checksum). */
function sourceFiles(abs: string, format: Format | 'archive', ref: PathRef): string[] {
  switch (format) {
    case 'archive':
      return [abs];
    case 'cifar10':
      return cifar10Files(abs);
    case 'cifar100':
      return cifar100Files(abs, ref.labels);
    case 'idx':
      return Object.values(idxFiles(abs)).filter((f): f is string => !!f);
    case 'folder':
      return scanImageFolder(abs).items.map((it) => it.file);
  }
}

function fingerprint(abs: string, files: string[], options: Record<string, unknown>): string {
  const h = crypto.createHash('sha256');
  h.update(JSON.stringify(options));
  for (const f of files) {
    const st = fs.statSync(f, { throwIfNoEntry: false });
    h.update(`${path.relative(abs, f)}\0${st?.size ?? -1}\0${st?.mtimeMs ?? -1}\n`);
  }
  return h.digest('hex');
}

async function hashSources(abs: string, files: string[], opts: DataOptions): Promise<string> {
  const h = crypto.createHash('sha256');
  for (const f of files) {
    throwIfAborted(opts.signal);
    h.update(path.relative(abs, f) + '\0');
    for await (const chunk of fs.createReadStream(f, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  }
  return h.digest('hex');
}

function statsOf(ds: Dataset): Record<string, SplitStats> {
  const out: Record<string, SplitStats> = {};
  for (const name of ['train', 'test', 'val'] as SplitName[]) {
    const s = ds.splits[name];
    if (s) out[name] = computeStats(s, ds.classNames.length);
  }
  return out;
}

function emptyReport(id: string): ImportReport {
  return { id, counts: {}, skipped: [], resized: 0, sizes: {}, warnings: [] };
}

/** Read a folder in a known format. */
async function readFolder(dir: string, format: Format, ref: PathRef, opts: DataOptions): Promise<ImportResult> {
  opts.onProgress?.({ phase: 'read', file: dir, done: 0, total: null });
  switch (format) {
    case 'cifar10': {
      const dataset = readCifar10(dir);
      return { dataset, report: emptyReport(dataset.id) };
    }
    case 'cifar100': {
      const dataset = readCifar100(dir, ref.labels);
      return { dataset, report: emptyReport(dataset.id) };
    }
    case 'idx': {
      const dataset = readIdxFolder(dir, { classNames: ref.classNames });
      return { dataset, report: emptyReport(dataset.id) };
    }
    case 'folder':
      return readImageFolder(dir, { size: ref.size, grayscale: ref.grayscale, signal: opts.signal, onProgress: opts.onProgress });
  }
}

/** Extract the dataset members of an archive to a temp folder under the data root and read them. */
async function readArchive(file: string, ref: PathRef, root: string, opts: DataOptions, source?: DatasetSource): Promise<ImportResult> {
  opts.onProgress?.({ phase: 'extract', file, done: 0, total: null });
  const entries = await listArchive(file);
  const layout = archiveLayout(file, entries, source?.members);
  if (ref.format !== 'auto' && ref.format !== layout.format) throw new Error(`${file}: archive holds a ${layout.format} dataset, not ${ref.format}`);
  fs.mkdirSync(path.join(root, 'tmp'), { recursive: true });
  const tmp = fs.mkdtempSync(path.join(root, 'tmp', 'import-'));
  try {
    await extractMembers(file, tmp, layout.members, entries);
    throwIfAborted(opts.signal);
    const dir = path.join(tmp, layout.prefix);
    const idxRef = layout.format === 'idx' && !ref.classNames && /fashion/i.test(file) ? { ...ref, classNames: FASHION_MNIST_CLASSES } : ref;
    const r = await readFolder(dir, layout.format, idxRef, opts);
    // messages should name the archive member, not the temp folder
    const fix = (s: string) => s.split(tmp + path.sep).join(`${file}:`);
    r.report.warnings = r.report.warnings.map(fix);
    r.report.skipped = r.report.skipped.map((s) => ({ ...s, file: fix(s.file) }));
    return r;
  } catch (err) {
    if (err instanceof Error) err.message = err.message.split(tmp + path.sep).join(`${file}:`);
    throw err;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

async function checkMd5(file: string, md5: string, opts: DataOptions): Promise<void> {
  const size = fs.statSync(file).size;
  let done = 0;
  const got = await hashFile(file, 'md5', (n) => {
    done += n;
    if (done === size || done % (32 << 20) < n) opts.onProgress?.({ phase: 'verify', file, done, total: size });
  });
  if (got !== md5.toLowerCase()) {
    throw new Error(
      `${file}: checksum mismatch: MD5 is ${got}, the published MD5 of ${path.basename(file)} is ${md5.toLowerCase()}; the file is damaged or not the official one (download it again, or rename it and import it as your own archive)`,
    );
  }
}

/** Finish an import: identity, stats, checksum, cache. */
async function finish(r: ImportResult, meta: { id: string; name: string; source: string; files: string[]; base: string; fingerprint: string }, root: string, opts: OpenOptions): Promise<ImportResult> {
  const ds = r.dataset;
  ds.id = meta.id;
  ds.name = meta.name;
  ds.source = meta.source;
  ds.stats = statsOf(ds);
  ds.checksum = contentChecksum(ds);
  r.report.id = meta.id;
  r.report.counts = Object.fromEntries(Object.entries(ds.splits).map(([k, s]) => [k, s!.count]));
  if (opts.cache !== false) {
    throwIfAborted(opts.signal);
    opts.onProgress?.({ phase: 'cache', file: cacheFile(root, meta.id), done: 0, total: null });
    const sourceChecksum = await hashSources(meta.base, meta.files, opts);
    const { file } = await writeCache(root, ds, {
      checksum: ds.checksum,
      sourceChecksum,
      sourceFingerprint: meta.fingerprint,
      source: meta.source,
      stats: ds.stats as Record<string, SplitStats>,
      report: r.report,
    });
    r.report.cacheFile = file;
  }
  return r;
}

async function importBuiltin(id: BuiltinDatasetId, root: string, opts: OpenOptions): Promise<ImportResult> {
  const src = sourceOf(id, opts);
  const dir = path.join(root, 'downloads', src.folder);
  const files = src.files.map((f) => ({ ...f, path: path.join(dir, f.name) }));
  const missing = files.filter((f) => !fs.existsSync(f.path));
  if (missing.length > 0) {
    throw new Error(
      `dataset ${id} is not downloaded (${missing[0]!.path} is missing): run \`simclr-workbench datasets download ${id}\`, or import the archive you already have with \`simclr-workbench datasets import <file>\``,
    );
  }
  for (const f of files) await checkMd5(f.path, f.md5, opts);
  const ref: PathRef = { kind: 'path', path: dir, format: 'auto', labels: src.labels ?? 'fine', grayscale: false, classNames: src.format === 'idx' ? FASHION_MNIST_CLASSES : undefined };
  const r = src.format === 'idx' ? await readFolder(dir, 'idx', ref, opts) : await readArchive(files[0]!.path, ref, root, opts, src);
  return finish(r, { id, name: src.name, source: src.files.length === 1 ? files[0]!.path : dir, files: files.map((f) => f.path), base: dir, fingerprint: fingerprint(dir, files.map((f) => f.path), {}) }, root, opts);
}

async function importPath(ref: PathRef, root: string, opts: OpenOptions): Promise<ImportResult> {
  const abs = refPath(ref);
  const detected = ref.format === 'auto' ? detectFormat(abs) : ref.format;
  if (ref.format !== 'auto' && ref.format !== 'folder') {
    const actual = detectFormat(abs);
    if (actual !== 'archive' && actual !== ref.format) throw new Error(`${abs}: this looks like a ${actual} dataset, not ${ref.format} (leave the format on auto?)`);
  }
  const id = datasetIdFor(ref);
  const files = sourceFiles(abs, detected === 'archive' ? 'archive' : detected, ref);
  if (detected !== 'archive') assertInsideFolder(abs, files);
  const fp = fingerprint(path.dirname(abs), files, refOptions(ref, detected));
  let r: ImportResult;
  let name: string;
  if (detected === 'archive') {
    const builtin = builtinForArchive(abs, ref.labels);
    const src = builtin ? sourceOf(builtin, opts) : undefined;
    if (src) await checkMd5(abs, src.files[0]!.md5, opts);
    r = await readArchive(abs, ref, root, opts, src);
    name = ref.name ?? (src && id === builtin ? src.name : `${r.dataset.name} (${path.basename(abs)})`);
  } else {
    r = await readFolder(abs, detected, ref, opts);
    name = ref.name ?? (detected === 'folder' ? r.dataset.name : `${r.dataset.name} (${path.basename(abs)})`);
  }
  return finish(r, { id, name, source: abs, files, base: path.dirname(abs), fingerprint: fp }, root, opts);
}

/**
 * Read a dataset from its source and (unless cache: false) write its cache,
 * replacing any older one only once the new one is complete.
 */
export async function importDataset(refInput: string | DatasetRefInput, opts: OpenOptions = {}): Promise<ImportResult> {
  const ref = toDatasetRef(refInput);
  const root = rootOf(opts);
  if (ref.kind === 'cached') throw new Error(`"${ref.id}" names a cached dataset, not a source: give the folder or archive to import, or a builtin id (${BUILTIN_DATASET_IDS.join(', ')})`);
  return ref.kind === 'builtin' ? importBuiltin(ref.id, root, opts) : importPath(ref, root, opts);
}

function withVal(ds: Dataset, val: ValSplitOptions | undefined): Dataset {
  if (!val) return ds;
  const { train, val: v } = splitTrainVal(ds.splits.train, val);
  const out: Dataset = { ...ds, splits: { ...ds.splits, train, val: v } };
  out.stats = { ...ds.stats, train: computeStats(train, ds.classNames.length), val: computeStats(v, ds.classNames.length) };
  return out;
}

/** Is the cache of a path ref older than its source? False when the source is gone (the cache is all there is). */
function pathCacheStale(ref: PathRef, header: CacheHeader): boolean {
  const abs = refPath(ref);
  try {
    const detected = ref.format === 'auto' ? detectFormat(abs) : ref.format;
    const files = sourceFiles(abs, detected, ref);
    return fingerprint(path.dirname(abs), files, refOptions(ref, detected)) !== header.sourceFingerprint;
  } catch {
    return false;
  }
}

/**
 * Open a dataset: from its cache when that is present and up to date, else by
 * importing it (which writes the cache). See the header of index.ts.
 */
export async function openDataset(refInput: string | DatasetRefInput, opts: OpenOptions = {}): Promise<Dataset> {
  const ref = toDatasetRef(refInput);
  const root = rootOf(opts);
  if (opts.cache === false) {
    if (ref.kind === 'cached') throw new Error(`"${ref.id}" is a cached dataset; it cannot be opened with cache: false`);
    return withVal((await importDataset(ref, opts)).dataset, opts.val);
  }
  const id = datasetIdFor(ref);
  const file = cacheFile(root, id);
  if (!opts.refresh && fs.existsSync(file)) {
    let fresh = true;
    if (ref.kind === 'path') fresh = !pathCacheStale(ref, (await readCacheHeader(file)).header);
    if (fresh) {
      opts.onProgress?.({ phase: 'read', file, done: 0, total: null });
      return withVal((await readCache(file)).dataset, opts.val);
    }
  } else if (ref.kind === 'cached') {
    throw new NotFoundError('dataset', ref.id, `no cached dataset "${ref.id}" under ${path.join(root, 'datasets')}; see \`simclr-workbench datasets list\`, or import one with \`simclr-workbench datasets import <path>\``);
  }
  return withVal((await importDataset(ref, opts)).dataset, opts.val);
}

/** Every dataset in the cache; damaged cache files are passed to onProblem and left out. */
export async function listDatasets(dataRoot?: string, onProblem?: (file: string, message: string) => void): Promise<DatasetListEntry[]> {
  const dir = path.join(path.resolve(dataRoot ?? defaultDataRoot()), 'datasets');
  const ids = fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
  const out: DatasetListEntry[] = [];
  for (const id of ids) {
    const file = path.join(dir, id, 'dataset.bin');
    if (!fs.existsSync(file)) continue;
    try {
      const { header, size } = await readCacheHeader(file);
      out.push({ ...summaryFromHeader(header), file, bytes: size, createdAt: header.createdAt, sourceChecksum: header.sourceChecksum });
    } catch (err) {
      onProblem?.(file, (err as Error).message);
    }
  }
  return out;
}

export function summaryFromHeader(h: CacheHeader) {
  return {
    id: h.id,
    name: h.name,
    format: h.format,
    classNames: h.classNames,
    checksum: h.checksum,
    source: h.source,
    splits: h.splits.map((s) => ({ name: s.name, height: s.height, width: s.width, channels: s.channels, ...h.stats[s.name]! })),
  };
}

export interface VerifyCheck {
  check: string;
  ok: boolean;
  detail: string;
}

/**
 * Check a cached dataset (header, size, content checksum, label range, whether
 * its source changed) or a downloaded file (MD5 against the published one).
 */
export async function verifyDataset(target: string, opts: DataOptions = {}): Promise<{ ok: boolean; checks: VerifyCheck[] }> {
  const root = rootOf(opts);
  const checks: VerifyCheck[] = [];
  const abs = path.resolve(expandHome(target));
  if (fs.statSync(abs, { throwIfNoEntry: false })?.isFile() && path.basename(abs) !== 'dataset.bin') {
    const base = path.basename(abs);
    const known = Object.values(SOURCES).flatMap((s) => s.files).find((f) => f.name === base);
    const md5 = await hashFile(abs, 'md5');
    checks.push(known ? { check: 'published MD5', ok: md5 === known.md5, detail: md5 === known.md5 ? `${md5} matches ${known.url}` : `MD5 ${md5}, published ${known.md5} (${known.url})` } : { check: 'MD5', ok: true, detail: `${md5} (no published checksum for ${base})` });
    return { ok: checks.every((c) => c.ok), checks };
  }
  let file: string;
  if (path.basename(abs) === 'dataset.bin') file = abs;
  else {
    const ref = toDatasetRef(target);
    file = cacheFile(root, datasetIdFor(ref));
  }
  let opened: Awaited<ReturnType<typeof readCache>>;
  try {
    opened = await readCache(file);
    checks.push({ check: 'cache file', ok: true, detail: `${file}: header valid, ${fs.statSync(file).size} bytes as recorded` });
  } catch (err) {
    checks.push({ check: 'cache file', ok: false, detail: (err as Error).message });
    return { ok: false, checks };
  }
  const { dataset, header } = opened;
  const sum = contentChecksum(dataset);
  checks.push({ check: 'content checksum', ok: sum === header.checksum, detail: sum === header.checksum ? `sha256 ${sum}` : `sha256 of the pixels and labels is ${sum}, the header records ${header.checksum}: the cache is damaged; import the dataset again` });
  const n = dataset.classNames.length;
  const bad: string[] = [];
  for (const [name, s] of Object.entries(dataset.splits)) {
    let count = 0;
    for (const l of s!.labels) if (l >= n || l < -1 || (l === -1 && n > 0)) count++;
    if (count) bad.push(`${name}: ${count} labels outside 0..${n - 1}`);
  }
  checks.push({ check: 'labels', ok: bad.length === 0, detail: bad.length ? bad.join('; ') : n ? `all within 0..${n - 1}` : 'unlabeled' });
  if (fs.existsSync(header.source)) {
    const ref: PathRef = { kind: 'path', path: header.source, format: header.format, labels: header.id.endsWith('coarse') ? 'coarse' : 'fine', grayscale: header.splits[0]!.channels === 1 && header.format === 'folder' };
    const src = BUILTIN_DATASET_IDS.find((b) => b === header.id);
    if (src) {
      const s = sourceOf(src, opts);
      const dir = path.join(root, 'downloads', s.folder);
      for (const f of s.files) {
        const p = path.join(dir, f.name);
        if (!fs.existsSync(p)) continue;
        const md5 = await hashFile(p, 'md5');
        checks.push({ check: `download ${f.name}`, ok: md5 === f.md5, detail: md5 === f.md5 ? 'matches the published MD5' : `MD5 ${md5}, published ${f.md5}` });
      }
    } else if (header.format !== 'folder' && !isArchivePath(header.source)) {
      const changed = pathCacheStale(ref, header);
      checks.push({ check: 'source', ok: true, detail: changed ? `${header.source} changed since the import (opening it by path will import it again)` : `${header.source} unchanged since the import` });
    }
  } else {
    checks.push({ check: 'source', ok: true, detail: `${header.source} is gone; the cache is the only copy` });
  }
  return { ok: checks.every((c) => c.ok), checks };
}

/**
 * Download a builtin dataset's official files (resuming partial ones, checking
 * the published MD5s) into <data-root>/downloads/<id>/, then import it.
 * `baseUrl` replaces the official host (a mirror): files are fetched from
 * `<baseUrl>/<file name>`.
 */
export async function downloadDataset(
  id: BuiltinDatasetId,
  opts: OpenOptions & { baseUrl?: string; retries?: number } = {},
): Promise<ImportResult & { downloads: Array<{ file: string; bytes: number; resumedFrom: number; cached: boolean }> }> {
  if (!(BUILTIN_DATASET_IDS as readonly string[]).includes(id)) throw new NotFoundError('dataset', id, `unknown dataset "${id}"; downloadable: ${BUILTIN_DATASET_IDS.join(', ')}`);
  const root = rootOf(opts);
  const src = sourceOf(id, opts);
  const downloads = [];
  for (const f of src.files) {
    const url = opts.baseUrl ? `${opts.baseUrl.replace(/\/+$/, '')}/${f.name}` : f.url;
    const r = await downloadFile(url, path.join(root, 'downloads', src.folder, f.name), { md5: f.md5, signal: opts.signal, onProgress: opts.onProgress, retries: opts.retries });
    downloads.push({ file: r.file, bytes: r.bytes, resumedFrom: r.resumedFrom, cached: r.cached });
  }
  const r = await importBuiltin(id, root, opts);
  return { ...r, downloads };
}
