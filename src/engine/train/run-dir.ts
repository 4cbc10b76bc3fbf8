/**
 * The run directory as the trainer writes it (layout in docs/ARCHITECTURE.md):
 * run.json rewritten atomically on every status change and after every epoch,
 * metrics.jsonl appended one complete line per write, checkpoints/ beside them.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import type { ImageSet } from '../data/types.js';
import { parseRunRecord, type MetricRecord, type RunRecord, type RunStatus } from '../../shared/run.js';

export const RUN_JSON = 'run.json';
export const METRICS_JSONL = 'metrics.jsonl';
export const CHECKPOINTS_DIR = 'checkpoints';

function slug(s: string): string {
  return (
    s
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '-')
      .replace(/^[-.]+|-+$/g, '')
      .slice(0, 60) || 'run'
  );
}

/** A new, empty run directory under `runsRoot`: <yyyymmdd-hhmmss>-<name>[-n]. */
export function createRunDir(runsRoot: string, name: string, now = new Date()): string {
  fs.mkdirSync(runsRoot, { recursive: true });
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const base = `${stamp}-${slug(name)}`;
  for (let n = 0; ; n++) {
    const dir = path.join(runsRoot, n === 0 ? base : `${base}-${n}`);
    try {
      fs.mkdirSync(dir);
      fs.mkdirSync(path.join(dir, CHECKPOINTS_DIR));
      return dir;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

function writeAtomic(file: string, text: string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

/** Owns run.json and metrics.jsonl of one run while it trains. */
export class RunWriter {
  readonly runJson: string;
  readonly metricsFile: string;
  readonly checkpointsDir: string;

  constructor(
    readonly dir: string,
    public record: RunRecord,
  ) {
    this.runJson = path.join(dir, RUN_JSON);
    this.metricsFile = path.join(dir, METRICS_JSONL);
    this.checkpointsDir = path.join(dir, CHECKPOINTS_DIR);
    fs.mkdirSync(this.checkpointsDir, { recursive: true });
    this.terminatePartialLine();
  }

  /** A process killed mid-write may leave a partial last line; start ours on a fresh one. */
  private terminatePartialLine(): void {
    let size = 0;
    try {
      size = fs.statSync(this.metricsFile).size;
    } catch {
      return;
    }
    if (size === 0) return;
    const fd = fs.openSync(this.metricsFile, 'r');
    const last = Buffer.alloc(1);
    try {
      fs.readSync(fd, last, 0, 1, size - 1);
    } finally {
      fs.closeSync(fd);
    }
    if (last[0] !== 0x0a) fs.appendFileSync(this.metricsFile, '\n');
  }

  update(patch: Partial<RunRecord>): void {
    this.record = { ...this.record, ...patch };
    writeAtomic(this.runJson, JSON.stringify(this.record, null, 2) + '\n');
  }

  finish(status: Exclude<RunStatus, 'running'>, error: string | null = null): void {
    this.update({ status, endedAt: new Date().toISOString(), error });
  }

  metric(rec: MetricRecord): void {
    // One write call per line: readers see whole lines or a partial last one.
    fs.appendFileSync(this.metricsFile, JSON.stringify(rec) + '\n');
  }
}

/** Read run.json of a run directory, validated. */
export function readRun(dir: string): RunRecord {
  const file = path.join(dir, RUN_JSON);
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: cannot read the run record (${(err as Error).message}); is ${dir} a run directory?`);
  }
  return parseRunRecord(raw, file);
}

/** sha256 over the pixels then labels of each set, in order: the identity of the data a run saw. */
export function imageSetsChecksum(sets: ImageSet[]): string {
  const h = crypto.createHash('sha256');
  for (const s of sets) {
    h.update(`${s.count}x${s.height}x${s.width}x${s.channels};`);
    h.update(s.images);
    h.update(new Uint8Array(s.labels.buffer, s.labels.byteOffset, s.labels.byteLength));
  }
  return h.digest('hex');
}

const require = createRequire(import.meta.url);

function packageVersion(name: string): string | null {
  try {
    return (require(`${name}/package.json`) as { version?: string }).version ?? null;
  } catch {
    return null;
  }
}

function appVersion(): string {
  // src/engine/train/ in sources, out/cli/ when bundled: walk up to our package.json.
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'simclr-workbench' && pkg.version) return pkg.version;
    } catch {
      // keep walking
    }
    dir = path.dirname(dir);
  }
  return '0.0.0-unknown';
}

/** Versions that decide what a run computes: the app, tfjs packages, Node, the platform. */
export function collectVersions(): Record<string, string> {
  const out: Record<string, string> = {
    'simclr-workbench': appVersion(),
    node: process.versions.node,
    platform: `${process.platform}-${process.arch}`,
    'tfjs-core': tf.version_core,
  };
  for (const p of ['@tensorflow/tfjs', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-backend-wasm', 'zod']) {
    const v = packageVersion(p);
    if (v) out[p] = v;
  }
  const native = (tf.backend() as unknown as { binding?: { TF_Version?: string } } | undefined)?.binding?.TF_Version;
  if (typeof native === 'string') out.libtensorflow = native;
  return out;
}
