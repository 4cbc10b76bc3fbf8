/**
 * Embedding files: one self-describing little-endian binary per result (the
 * layout is documented in src/shared/embed.ts), written to a temporary name
 * and renamed so a reader never sees half a file.
 *
 *   writeEmbeddingFile(file, kind, count, arrays, meta) / readEmbeddingFile(file)
 *   writeFeatures / readFeatures       h, z, labels, indices
 *   writeProjection / readProjection   coords, labels, indices
 *   listEmbeddings(runDir)             headers of every file in <run>/embeddings
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeFileAtomic } from '../fs/atomic.js';
import {
  EMBED_FILE_FORMAT,
  EMBED_FILE_MAGIC,
  embedFileHeaderSchema,
  featuresMetaSchema,
  projectionMetaSchema,
  type EmbedFileHeader,
  type FeaturesMeta,
  type ProjectionMeta,
} from '../../shared/embed.js';

export const EMBEDDINGS_DIR = 'embeddings';

export function embeddingsDir(runDir: string): string {
  return path.join(runDir, EMBEDDINGS_DIR);
}

export interface StoredArray {
  data: Float32Array | Int32Array;
  shape: number[];
}

const ALIGN = 16;
const align = (x: number) => Math.ceil(x / ALIGN) * ALIGN;

function checkEndianness(): void {
  if (os.endianness() !== 'LE') throw new Error('embedding files are little-endian; this machine is big-endian');
}

export function encodeEmbeddingFile(kind: EmbedFileHeader['kind'], count: number, arrays: Record<string, StoredArray>, meta: Record<string, unknown>): Buffer {
  checkEndianness();
  const entries = Object.entries(arrays);
  for (const [name, a] of entries) {
    const size = a.shape.reduce((x, y) => x * y, 1);
    if (size !== a.data.length) throw new RangeError(`array "${name}": shape [${a.shape}] holds ${size} values, data has ${a.data.length}`);
    if (a.shape[0] !== count) throw new RangeError(`array "${name}": ${a.shape[0]} rows, expected ${count}`);
  }
  // The offsets depend on the header's length and vice versa: lay out with a
  // guess, re-encode until stable (twice at most in practice).
  let headerBytes = 0;
  for (;;) {
    let at = align(12 + headerBytes);
    const info: EmbedFileHeader['arrays'] = {};
    for (const [name, a] of entries) {
      info[name] = { dtype: a.data instanceof Float32Array ? 'float32' : 'int32', shape: a.shape, offset: at, byteLength: a.data.byteLength };
      at = align(at + a.data.byteLength);
    }
    const header: EmbedFileHeader = { format: EMBED_FILE_FORMAT, version: 1, kind, count, arrays: info, meta };
    let json = Buffer.from(JSON.stringify(header), 'utf8');
    const padded = align(12 + json.length) - 12;
    if (padded !== headerBytes) {
      headerBytes = padded;
      continue;
    }
    json = Buffer.concat([json, Buffer.alloc(padded - json.length, 0x20)]);
    const out = Buffer.alloc(at);
    out.write(EMBED_FILE_MAGIC, 0, 'ascii');
    out.writeUInt32LE(padded, 8);
    json.copy(out, 12);
    for (const [name, a] of entries) {
      const src = Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength);
      src.copy(out, info[name]!.offset);
    }
    return out;
  }
}

export function writeEmbeddingFile(file: string, kind: EmbedFileHeader['kind'], count: number, arrays: Record<string, StoredArray>, meta: Record<string, unknown>): void {
  writeFileAtomic(file, encodeEmbeddingFile(kind, count, arrays, meta));
}

export interface EmbeddingFile {
  header: EmbedFileHeader;
  arrays: Record<string, StoredArray>;
}

/** Parse just the header (reads the first bytes only). */
export function readEmbeddingHeader(file: string): EmbedFileHeader {
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(12);
    if (fs.readSync(fd, head, 0, 12, 0) < 12 || head.toString('ascii', 0, 8) !== EMBED_FILE_MAGIC) throw new Error(`${file}: not an embedding file (no ${EMBED_FILE_MAGIC} magic)`);
    const len = head.readUInt32LE(8);
    const json = Buffer.alloc(len);
    if (fs.readSync(fd, json, 0, len, 12) < len) throw new Error(`${file}: truncated header`);
    return parseHeader(json.toString('utf8'), file);
  } finally {
    fs.closeSync(fd);
  }
}

function parseHeader(text: string, file: string): EmbedFileHeader {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file}: header is not valid JSON (${(err as Error).message})`);
  }
  const r = embedFileHeaderSchema.safeParse(raw);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
    throw new Error(`${file}: invalid embedding header:\n  ${lines.join('\n  ')}`);
  }
  return r.data;
}

export function decodeEmbeddingFile(buf: Buffer, file = 'embedding file'): EmbeddingFile {
  checkEndianness();
  if (buf.length < 12 || buf.toString('ascii', 0, 8) !== EMBED_FILE_MAGIC) throw new Error(`${file}: not an embedding file (no ${EMBED_FILE_MAGIC} magic)`);
  const len = buf.readUInt32LE(8);
  if (12 + len > buf.length) throw new Error(`${file}: truncated header (${len} bytes announced, ${buf.length - 12} present)`);
  const header = parseHeader(buf.toString('utf8', 12, 12 + len), file);
  const arrays: Record<string, StoredArray> = {};
  for (const [name, a] of Object.entries(header.arrays)) {
    const size = a.shape.reduce((x, y) => x * y, 1);
    if (a.byteLength !== size * 4) throw new Error(`${file}: array "${name}" has byteLength ${a.byteLength}, expected ${size * 4} for shape [${a.shape}]`);
    if (a.offset + a.byteLength > buf.length) throw new Error(`${file}: array "${name}" runs past the end of the file (truncated?)`);
    if (a.shape[0] !== header.count) throw new Error(`${file}: array "${name}" has ${a.shape[0]} rows, header says ${header.count}`);
    // copy out: the Buffer may share a pooled ArrayBuffer at any alignment
    const bytes = new Uint8Array(a.byteLength);
    bytes.set(buf.subarray(a.offset, a.offset + a.byteLength));
    arrays[name] = { data: a.dtype === 'float32' ? new Float32Array(bytes.buffer) : new Int32Array(bytes.buffer), shape: a.shape };
  }
  return { header, arrays };
}

export function readEmbeddingFile(file: string): EmbeddingFile {
  return decodeEmbeddingFile(fs.readFileSync(file), file);
}

function need(f: EmbeddingFile, name: string, dtype: 'float32' | 'int32', file: string, cols?: number): StoredArray {
  const a = f.arrays[name];
  if (!a) throw new Error(`${file}: no "${name}" array (has ${Object.keys(f.arrays).join(', ') || 'none'})`);
  const isFloat = a.data instanceof Float32Array;
  if (isFloat !== (dtype === 'float32')) throw new Error(`${file}: array "${name}" should be ${dtype}`);
  if (cols !== undefined && (a.shape.length !== 2 || a.shape[1] !== cols)) throw new Error(`${file}: array "${name}" should be n x ${cols}, is [${a.shape}]`);
  return a;
}

export interface Features {
  count: number;
  h: Float32Array;
  hDim: number;
  z: Float32Array | null;
  zDim: number;
  labels: Int32Array;
  indices: Int32Array;
  meta: FeaturesMeta;
}

export function writeFeatures(file: string, f: Omit<Features, 'count'> & { count?: number }): void {
  const count = f.indices.length;
  const arrays: Record<string, StoredArray> = {
    h: { data: f.h, shape: [count, f.hDim] },
    labels: { data: f.labels, shape: [count] },
    indices: { data: f.indices, shape: [count] },
  };
  if (f.z) arrays.z = { data: f.z, shape: [count, f.zDim] };
  writeEmbeddingFile(file, 'features', count, arrays, featuresMetaSchema.parse(f.meta));
}

export function readFeatures(file: string): Features {
  const f = readEmbeddingFile(file);
  if (f.header.kind !== 'features') throw new Error(`${file}: is a ${f.header.kind} file, not features`);
  const h = need(f, 'h', 'float32', file);
  if (h.shape.length !== 2) throw new Error(`${file}: array "h" should be n x d, is [${h.shape}]`);
  const z = f.arrays.z ? need(f, 'z', 'float32', file) : null;
  const meta = featuresMetaSchema.safeParse(f.header.meta);
  if (!meta.success) throw new Error(`${file}: invalid features meta: ${meta.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return {
    count: f.header.count,
    h: h.data as Float32Array,
    hDim: h.shape[1]!,
    z: z ? (z.data as Float32Array) : null,
    zDim: z ? z.shape[1]! : 0,
    labels: need(f, 'labels', 'int32', file).data as Int32Array,
    indices: need(f, 'indices', 'int32', file).data as Int32Array,
    meta: meta.data,
  };
}

export interface Projection {
  count: number;
  /** n x 2 */
  coords: Float32Array;
  labels: Int32Array;
  indices: Int32Array;
  meta: ProjectionMeta;
}

export function writeProjection(file: string, p: Omit<Projection, 'count'>): void {
  const count = p.indices.length;
  writeEmbeddingFile(
    file,
    'projection',
    count,
    { coords: { data: p.coords, shape: [count, 2] }, labels: { data: p.labels, shape: [count] }, indices: { data: p.indices, shape: [count] } },
    projectionMetaSchema.parse(p.meta),
  );
}

export function readProjection(file: string): Projection {
  const f = readEmbeddingFile(file);
  if (f.header.kind !== 'projection') throw new Error(`${file}: is a ${f.header.kind} file, not a projection`);
  const meta = projectionMetaSchema.safeParse(f.header.meta);
  if (!meta.success) throw new Error(`${file}: invalid projection meta: ${meta.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return {
    count: f.header.count,
    coords: need(f, 'coords', 'float32', file, 2).data as Float32Array,
    labels: need(f, 'labels', 'int32', file).data as Int32Array,
    indices: need(f, 'indices', 'int32', file).data as Int32Array,
    meta: meta.data,
  };
}

export interface EmbeddingListing {
  file: string;
  name: string;
  header: EmbedFileHeader;
}

/** Every readable embedding file of a run (unreadable ones are skipped with their error). */
export function listEmbeddings(runDir: string): { files: EmbeddingListing[]; errors: string[] } {
  const dir = embeddingsDir(runDir);
  const files: EmbeddingListing[] = [];
  const errors: string[] = [];
  if (!fs.existsSync(dir)) return { files, errors };
  for (const name of fs.readdirSync(dir).sort()) {
    if (!name.endsWith('.bin') || name.startsWith('.')) continue;
    const file = path.join(dir, name);
    try {
      files.push({ file, name, header: readEmbeddingHeader(file) });
    } catch (err) {
      errors.push((err as Error).message);
    }
  }
  return { files, errors };
}
