/**
 * The safetensors file format (huggingface/safetensors), read and written
 * here because no maintained JS package is available to the project:
 *
 *   8 bytes   N, the header length, unsigned 64-bit little endian
 *   N bytes   UTF-8 JSON: { name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {str: str} }
 *             (Python's writer pads it with spaces to a multiple of 8; so do we)
 *   rest      the tensors' little-endian bytes, offsets relative to the start of this section,
 *             back to back with no holes
 *
 * Values come back as Float32Array (floats of any width) or as the integer
 * array of their type; int64 is returned as numbers (exact up to 2^53).
 */
import fs from 'node:fs';

export const SAFETENSORS_DTYPES = ['F64', 'F32', 'F16', 'BF16', 'I64', 'I32', 'I16', 'I8', 'U8', 'BOOL'] as const;
export type SafetensorsDtype = (typeof SAFETENSORS_DTYPES)[number];

const BYTES: Record<SafetensorsDtype, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

/** One tensor to write: float32 or int64 (written from whole numbers) values, row-major. */
export interface TensorToWrite {
  dtype: 'F32' | 'I64' | 'I32';
  shape: number[];
  data: ArrayLike<number>;
}

export interface ReadTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  /** floats as float32; integers as the numbers they hold */
  data: Float32Array | Int32Array | Float64Array;
}

export interface SafetensorsFile {
  tensors: Map<string, ReadTensor>;
  metadata: Record<string, string>;
}

/** Header bytes of a safetensors file: name order is kept, offsets assigned back to back. */
export function encodeSafetensors(tensors: Record<string, TensorToWrite>, metadata: Record<string, string> = {}): Buffer {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  const chunks: Buffer[] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    if (name === '__metadata__') throw new Error('safetensors: "__metadata__" is reserved and cannot name a tensor');
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (t.data.length !== count) throw new Error(`safetensors: tensor "${name}" has ${t.data.length} values for shape [${t.shape.join(', ')}]`);
    let bytes: Buffer;
    // typed arrays are little endian on every platform Node supports
    if (t.dtype === 'F32') bytes = Buffer.from(Float32Array.from(t.data).buffer);
    else if (t.dtype === 'I32') bytes = Buffer.from(Int32Array.from(t.data).buffer);
    else bytes = Buffer.from(BigInt64Array.from(Array.from(t.data, (v) => BigInt(Math.round(v)))).buffer);
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    chunks.push(bytes);
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  // pad to 8 bytes so the data section is aligned for readers that map it
  const len = Buffer.byteLength(json);
  json += ' '.repeat((8 - ((8 + len) % 8)) % 8);
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  return Buffer.concat([head, Buffer.from(json, 'utf8'), ...chunks]);
}

function decodeValues(dtype: SafetensorsDtype, bytes: Buffer): ReadTensor['data'] {
  const n = bytes.length / BYTES[dtype];
  switch (dtype) {
    case 'F32': {
      // copy into an aligned buffer: the slice may start at any byte
      const out = new Float32Array(n);
      new Uint8Array(out.buffer).set(bytes);
      return out;
    }
    case 'F64': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = bytes.readDoubleLE(i * 8);
      return out;
    }
    case 'F16': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = halfToFloat(bytes.readUInt16LE(i * 2));
      return out;
    }
    case 'BF16': {
      const out = new Float32Array(n);
      const word = new Uint32Array(1);
      const f = new Float32Array(word.buffer);
      for (let i = 0; i < n; i++) {
        word[0] = bytes.readUInt16LE(i * 2) << 16;
        out[i] = f[0]!;
      }
      return out;
    }
    case 'I64': {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = Number(bytes.readBigInt64LE(i * 8));
      return out;
    }
    case 'I32':
      return Int32Array.from({ length: n }, (_, i) => bytes.readInt32LE(i * 4));
    case 'I16':
      return Int32Array.from({ length: n }, (_, i) => bytes.readInt16LE(i * 2));
    case 'I8':
      return Int32Array.from({ length: n }, (_, i) => bytes.readInt8(i));
    case 'U8':
    case 'BOOL':
      return Int32Array.from(bytes);
  }
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

/** Parse a safetensors buffer; `where` (a file name) prefixes every error. */
export function decodeSafetensors(buf: Buffer, where = 'safetensors'): SafetensorsFile {
  const bad = (msg: string) => new Error(`${where}: not a valid safetensors file: ${msg}`);
  if (buf.length < 8) throw bad(`${buf.length} bytes is too short for the 8-byte header length`);
  const n = buf.readBigUInt64LE(0);
  if (n > BigInt(buf.length - 8)) throw bad(`the header claims ${n} bytes but the file has ${buf.length - 8} after the length`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(buf.subarray(8, 8 + Number(n)).toString('utf8')) as Record<string, unknown>;
  } catch (err) {
    throw bad(`the header is not JSON (${(err as Error).message})`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) throw bad('the header is not a JSON object');
  const data = buf.subarray(8 + Number(n));
  const metadata: Record<string, string> = {};
  const tensors = new Map<string, ReadTensor>();
  const spans: { name: string; begin: number; end: number }[] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      for (const [k, v] of Object.entries((entry ?? {}) as Record<string, unknown>)) {
        if (typeof v !== 'string') throw bad(`__metadata__.${k} is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (!(SAFETENSORS_DTYPES as readonly string[]).includes(e?.dtype as string)) throw bad(`tensor "${name}" has dtype ${JSON.stringify(e?.dtype)}; this reader knows ${SAFETENSORS_DTYPES.join(', ')}`);
    const dtype = e.dtype as SafetensorsDtype;
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isInteger(d) && d >= 0)) throw bad(`tensor "${name}" has shape ${JSON.stringify(e.shape)}`);
    const shape = e.shape as number[];
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((o) => Number.isInteger(o) && o >= 0) || off[0] > off[1]) throw bad(`tensor "${name}" has data_offsets ${JSON.stringify(off)}`);
    const [begin, end] = off as [number, number];
    if (end > data.length) throw bad(`tensor "${name}" ends at byte ${end} of a ${data.length}-byte data section (the file is cut short?)`);
    const count = shape.reduce((a, b) => a * b, 1);
    if ((end - begin) !== count * BYTES[dtype]) throw bad(`tensor "${name}" has ${end - begin} bytes for ${count} ${dtype} values`);
    spans.push({ name, begin, end });
    tensors.set(name, { dtype, shape, data: decodeValues(dtype, data.subarray(begin, end)) });
  }
  spans.sort((a, b) => a.begin - b.begin);
  let at = 0;
  for (const s of spans) {
    if (s.begin !== at) throw bad(`tensor "${s.name}" starts at byte ${s.begin}, expected ${at} (overlapping or holes)`);
    at = s.end;
  }
  return { tensors, metadata };
}

export function readSafetensors(file: string): SafetensorsFile {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (err) {
    throw new Error(`${file}: cannot read (${(err as Error).message})`);
  }
  return decodeSafetensors(buf, file);
}
