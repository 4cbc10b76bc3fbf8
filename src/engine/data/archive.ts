import fs from 'node:fs';
import path from 'node:path';
import * as tar from 'tar';
import { unsafeMemberPath } from '../fs/contained.js';
import { IMAGE_EXTENSIONS } from './folder.js';

/**
 * Tar archives (.tar, .tar.gz, .tgz) read with the `tar` package: list the
 * members, work out which dataset format is inside, check that every member the
 * format needs is there, and extract only those.
 */

export interface ArchiveEntry {
  path: string;
  size: number;
  type: string;
}

export interface ArchiveLayout {
  format: 'cifar10' | 'cifar100' | 'idx' | 'folder';
  /** folder inside the archive holding the dataset ('' for the top) */
  prefix: string;
  /** members to extract (paths inside the archive) */
  members: string[];
}

export const isArchivePath = (p: string) => /\.(tar\.gz|tgz|tar)$/i.test(p);

const norm = (p: string) => p.replace(/^(\.\/)+/, '').replace(/\/+$/, '');

function corrupt(file: string, err: unknown): Error {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ENOENT') return new Error(`${file}: archive not found`);
  if (/path contains '\.\.'|absolute path/i.test(e.message)) return new Error(`${file}: archive has a member with an unsafe path (${e.message}); refused`);
  const what = e.code === 'Z_BUF_ERROR' || /unexpected end/i.test(e.message) ? 'truncated (it ends in the middle of a member)' : `corrupt or not a tar archive (${e.message})`;
  return new Error(`${file}: archive is ${what}; download or copy it again`);
}

export async function listArchive(file: string): Promise<ArchiveEntry[]> {
  const entries: ArchiveEntry[] = [];
  try {
    await tar.t({
      file,
      strict: true,
      onReadEntry: (e) => {
        entries.push({ path: norm(e.path), size: e.size ?? 0, type: e.type });
      },
    });
  } catch (err) {
    throw corrupt(file, err);
  }
  const unsafe = entries.find((e) => unsafeMemberPath(e.path));
  if (unsafe) throw new Error(`${file}: member "${unsafe.path}" has an unsafe path (absolute or '..'), refused; nothing was extracted`);
  return entries;
}

/** Which dataset an archive holds, from its member names; checks required members. */
export function archiveLayout(file: string, entries: ArchiveEntry[], required?: string[]): ArchiveLayout {
  const files = entries.filter((e) => e.type === 'File' || e.type === 'OldFile');
  const names = new Set(files.map((e) => e.path));
  const need = (prefix: string, list: string[]) => {
    const full = list.map((n) => (prefix ? `${prefix}/${n}` : n));
    for (const m of required ?? full) {
      if (!names.has(m)) throw new Error(`${file}: archive is missing member "${m}"; it may be incomplete or a different dataset (download or re-create it)`);
    }
    return required ?? full;
  };
  const dirOf = (p: string) => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');

  const batch = files.find((e) => /(^|\/)data_batch_\d\.bin$/.test(e.path));
  if (batch) {
    const prefix = dirOf(batch.path);
    const has = (n: string) => names.has(prefix ? `${prefix}/${n}` : n);
    const batches = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);
    // The official archive's folder must be complete; a home-made one needs the names and what it has.
    const list = prefix.endsWith('cifar-10-batches-bin')
      ? ['batches.meta.txt', ...batches, 'test_batch.bin']
      : ['batches.meta.txt', ...batches.filter(has), ...(has('test_batch.bin') ? ['test_batch.bin'] : [])];
    return { format: 'cifar10', prefix, members: need(prefix, list) };
  }
  const train100 = files.find((e) => /(^|\/)train\.bin$/.test(e.path) && [...names].some((n) => n.startsWith(dirOf(e.path)) && /label_names\.txt$/.test(n)));
  if (train100) {
    const prefix = dirOf(train100.path);
    return { format: 'cifar100', prefix, members: need(prefix, ['train.bin', 'test.bin', 'fine_label_names.txt', 'coarse_label_names.txt']) };
  }
  const idx = files.find((e) => /(^|\/)train-images[-.]idx[34]-ubyte(\.gz)?$/.test(e.path));
  if (idx) {
    const prefix = dirOf(idx.path);
    const inDir = files.filter((e) => dirOf(e.path) === prefix && /-ubyte(\.gz)?$/.test(e.path)).map((e) => e.path.slice(prefix ? prefix.length + 1 : 0));
    const labels = inDir.find((n) => /^train-labels[-.]idx1-ubyte(\.gz)?$/.test(n));
    if (!labels) throw new Error(`${file}: archive is missing member "${prefix ? prefix + '/' : ''}train-labels-idx1-ubyte.gz" (the labels of ${idx.path})`);
    return { format: 'idx', prefix, members: need(prefix, inDir) };
  }
  const images = files.filter((e) => IMAGE_EXTENSIONS.includes(path.extname(e.path).toLowerCase()));
  if (images.length > 0) {
    // the deepest folder that holds every image
    let prefix = dirOf(images[0]!.path);
    while (prefix && !images.every((e) => e.path.startsWith(prefix + '/'))) prefix = dirOf(prefix);
    return { format: 'folder', prefix, members: images.map((e) => e.path) };
  }
  throw new Error(`${file}: archive holds no CIFAR, IDX or image files (${files.length} files, e.g. ${files[0]?.path ?? 'none'})`);
}

/** Extract the given members into dest (created); checks each landed with its listed size. */
export async function extractMembers(file: string, dest: string, members: string[], entries: ArchiveEntry[]): Promise<void> {
  fs.mkdirSync(dest, { recursive: true });
  const wanted = new Set(members);
  try {
    await tar.x({ file, cwd: dest, strict: true, filter: (p) => wanted.has(norm(p)) });
  } catch (err) {
    throw corrupt(file, err);
  }
  const sizes = new Map(entries.map((e) => [e.path, e.size]));
  for (const m of members) {
    const p = path.join(dest, m);
    const st = fs.statSync(p, { throwIfNoEntry: false });
    if (!st) throw new Error(`${file}: member "${m}" could not be extracted`);
    if (st.size !== sizes.get(m)) throw new Error(`${file}: member "${m}" extracted to ${st.size} bytes, the archive lists ${sizes.get(m)}; the archive is truncated`);
  }
}
