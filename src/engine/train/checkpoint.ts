/**
 * Checkpoints: one directory per finished epoch, written under a temporary name
 * and renamed into place, so a reader (or a resume after SIGKILL) sees either a
 * complete checkpoint or none.
 *
 *   checkpoints/
 *     epoch-0003/
 *       manifest.json   {format, version, epoch, globalStep, createdAt, tensors[], state, sha256}
 *       tensors.bin     the tensors' raw little-endian values back to back
 *     latest            text: the directory name of the newest complete checkpoint
 *
 * manifest.tensors[i] = {name, group, dtype, shape, offset, byteLength}; group is
 * "model" (weights and batch-norm running statistics) or "optimizer" (slots such
 * as momentum). `state` is free JSON from the trainer (optimiser scalars, RNG
 * states, run id). `sha256` covers tensors.bin, so a damaged file is refused.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { fsyncDir, writeFileAtomic, writeFileSynced } from '../fs/atomic.js';

export const CHECKPOINT_FORMAT = 'simclr-workbench-checkpoint';
export const CHECKPOINT_VERSION = 1;
export const MANIFEST_FILE = 'manifest.json';
export const TENSORS_FILE = 'tensors.bin';
export const LATEST_FILE = 'latest';

export type TensorGroup = 'model' | 'optimizer';

export interface CheckpointTensorEntry {
  name: string;
  group: TensorGroup;
  dtype: 'float32' | 'int32';
  shape: number[];
  /** byte offset into tensors.bin */
  offset: number;
  byteLength: number;
}

export interface CheckpointManifest {
  format: typeof CHECKPOINT_FORMAT;
  version: typeof CHECKPOINT_VERSION;
  /** epochs completed when this was written (1-based: epoch-0001 is after the first epoch) */
  epoch: number;
  /** optimiser steps taken */
  globalStep: number;
  createdAt: string;
  tensors: CheckpointTensorEntry[];
  state: Record<string, unknown>;
  sha256: string;
}

export interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

/** A checkpoint read back: values as typed arrays (no tensors are created). */
export interface LoadedCheckpoint {
  dir: string;
  manifest: CheckpointManifest;
  values: Map<string, { group: TensorGroup; dtype: 'float32' | 'int32'; shape: number[]; data: Float32Array | Int32Array }>;
}

export function checkpointName(epoch: number): string {
  return `epoch-${String(epoch).padStart(4, '0')}`;
}

/**
 * Write checkpoint `epoch` into `checkpointsDir` and point `latest` at it.
 * Tensors are read (not disposed); returns the final directory.
 */
export async function writeCheckpoint(
  checkpointsDir: string,
  info: { epoch: number; globalStep: number; state: Record<string, unknown> },
  groups: Record<TensorGroup, NamedTensor[]>,
): Promise<string> {
  fs.mkdirSync(checkpointsDir, { recursive: true });
  const entries: CheckpointTensorEntry[] = [];
  const chunks: Uint8Array[] = [];
  const seen = new Set<string>();
  let offset = 0;
  for (const group of ['model', 'optimizer'] as const) {
    for (const { name, tensor } of groups[group]) {
      const key = `${group}/${name}`;
      if (seen.has(key)) throw new Error(`checkpoint: tensor name "${key}" appears twice`);
      seen.add(key);
      if (tensor.dtype !== 'float32' && tensor.dtype !== 'int32') throw new Error(`checkpoint: tensor "${key}" has dtype ${tensor.dtype}; only float32 and int32 are stored`);
      const data = (await tensor.data()) as Float32Array | Int32Array;
      const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      entries.push({ name, group, dtype: tensor.dtype, shape: tensor.shape.slice(), offset, byteLength: bytes.byteLength });
      chunks.push(bytes);
      offset += bytes.byteLength;
    }
  }
  const blob = Buffer.concat(chunks);
  const manifest: CheckpointManifest = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    epoch: info.epoch,
    globalStep: info.globalStep,
    createdAt: new Date().toISOString(),
    tensors: entries,
    state: info.state,
    sha256: crypto.createHash('sha256').update(blob).digest('hex'),
  };
  const name = checkpointName(info.epoch);
  const final = path.join(checkpointsDir, name);
  const tmp = path.join(checkpointsDir, `.tmp-${name}-${process.pid}-${Date.now()}`);
  fs.mkdirSync(tmp);
  try {
    writeFileSynced(path.join(tmp, TENSORS_FILE), blob, { stage: `checkpoint ${name} tensors` });
    writeFileSynced(path.join(tmp, MANIFEST_FILE), JSON.stringify(manifest, null, 1) + '\n', { stage: `checkpoint ${name} manifest` });
    fsyncDir(tmp);
    if (fs.existsSync(final)) {
      // Re-written after a resume from an older checkpoint: move the old one aside first.
      const old = path.join(checkpointsDir, `.old-${name}-${process.pid}-${Date.now()}`);
      fs.renameSync(final, old);
      fs.renameSync(tmp, final);
      fs.rmSync(old, { recursive: true, force: true });
    } else {
      fs.renameSync(tmp, final);
    }
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  fsyncDir(checkpointsDir);
  writeFileAtomic(path.join(checkpointsDir, LATEST_FILE), name + '\n', { stage: `checkpoint ${name} pointer` });
  return final;
}

/** Read and verify a checkpoint directory. Errors name the file and the problem. */
export function readCheckpoint(dir: string): LoadedCheckpoint {
  const manifestFile = path.join(dir, MANIFEST_FILE);
  let manifest: CheckpointManifest;
  try {
    manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as CheckpointManifest;
  } catch (err) {
    throw new Error(`${manifestFile}: cannot read the checkpoint manifest (${(err as Error).message})`);
  }
  if (manifest.format !== CHECKPOINT_FORMAT) throw new Error(`${manifestFile}: not a SimCLR Workbench checkpoint (format "${String(manifest.format)}")`);
  if (manifest.version !== CHECKPOINT_VERSION) throw new Error(`${manifestFile}: checkpoint version ${String(manifest.version)} is not supported (this build reads ${CHECKPOINT_VERSION})`);
  const tensorsFile = path.join(dir, TENSORS_FILE);
  const blob = fs.readFileSync(tensorsFile);
  const digest = crypto.createHash('sha256').update(blob).digest('hex');
  if (digest !== manifest.sha256) throw new Error(`${tensorsFile}: checksum mismatch (the checkpoint is damaged; resume from an earlier epoch-NNNN)`);
  const values: LoadedCheckpoint['values'] = new Map();
  for (const e of manifest.tensors) {
    if (e.offset + e.byteLength > blob.byteLength) throw new Error(`${tensorsFile}: tensor "${e.name}" runs past the end of the file`);
    // Copy into an aligned buffer: Buffer slices may start at any byte.
    const bytes = new Uint8Array(e.byteLength);
    bytes.set(blob.subarray(e.offset, e.offset + e.byteLength));
    const data = e.dtype === 'int32' ? new Int32Array(bytes.buffer) : new Float32Array(bytes.buffer);
    const expected = e.shape.reduce((a, b) => a * b, 1);
    if (data.length !== expected) throw new Error(`${tensorsFile}: tensor "${e.name}" has ${data.length} values for shape [${e.shape.join(', ')}]`);
    values.set(`${e.group}/${e.name}`, { group: e.group, dtype: e.dtype, shape: e.shape, data });
  }
  return { dir, manifest, values };
}

/** The names of complete checkpoint directories, oldest first. */
export function listCheckpoints(checkpointsDir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(checkpointsDir);
  } catch {
    return [];
  }
  return names.filter((n) => /^epoch-\d{4,}$/.test(n) && fs.existsSync(path.join(checkpointsDir, n, MANIFEST_FILE))).sort((a, b) => Number(a.slice(6)) - Number(b.slice(6)));
}

/**
 * The newest complete checkpoint directory, or null: the highest epoch-NNNN
 * with a manifest, found by scanning. `latest` is only a pointer for people
 * and older readers; a kill between the checkpoint's rename and the pointer's
 * leaves it one epoch behind, and following it would redo a finished epoch.
 */
export function latestCheckpoint(checkpointsDir: string): string | null {
  const all = listCheckpoints(checkpointsDir);
  return all.length ? path.join(checkpointsDir, all[all.length - 1]!) : null;
}

/**
 * The newest checkpoint that reads back whole (manifest and tensor checksums),
 * newest first by scan, with those skipped and why. A
 * checkpoint damaged after it was written (a disk error, a copy cut short)
 * must not strand a run whose earlier checkpoints are intact. Null when there
 * is none at all; an error when every one is damaged (never a silent restart).
 */
export function newestReadableCheckpoint(checkpointsDir: string): { checkpoint: LoadedCheckpoint; skipped: { name: string; reason: string }[] } | null {
  const order = listCheckpoints(checkpointsDir).reverse();
  const skipped: { name: string; reason: string }[] = [];
  for (const name of order) {
    try {
      return { checkpoint: readCheckpoint(path.join(checkpointsDir, name)), skipped };
    } catch (err) {
      skipped.push({ name, reason: (err as Error).message });
    }
  }
  if (skipped.length) throw new Error(`no readable checkpoint in ${checkpointsDir}:\n  ${skipped.map((s) => `${s.name}: ${s.reason}`).join('\n  ')}`);
  return null;
}

/** Remove temporary directories left by a writer that was killed mid-checkpoint. */
export function removeStaleTemps(checkpointsDir: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(checkpointsDir);
  } catch {
    return;
  }
  for (const n of names) if (n.startsWith('.tmp-') || n.startsWith('.old-') || n.endsWith('.tmp')) fs.rmSync(path.join(checkpointsDir, n), { recursive: true, force: true });
}
