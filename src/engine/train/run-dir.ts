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
import type { Dataset, ImageSet } from '../data/types.js';
import { appendFileSynced, cleanStaleTemps, writeFileAtomic } from '../fs/atomic.js';
import { acquireLock, processAlive, RunLocked, type Lock } from '../runs/lock.js';
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

function runDirName(now: Date, name: string, n: number): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${slug(name)}${n === 0 ? '' : `-${n}`}`;
}

/**
 * A new run directory under `runsRoot`, <yyyymmdd-hhmmss>-<name>[-n], that
 * appears with its run.json already inside and its lock held: it is built
 * under a hidden staging name and renamed into place, so a kill at any
 * moment leaves either no run or one that lists and resumes.
 */
export function createRun(runsRoot: string, name: string, build: (id: string) => RunRecord, now = new Date()): { dir: string; record: RunRecord; lock: Lock } {
  fs.mkdirSync(runsRoot, { recursive: true });
  removeStaleStaging(runsRoot);
  const stage = path.join(runsRoot, `.new-${process.pid}-${crypto.randomBytes(4).toString('hex')}`);
  fs.mkdirSync(stage);
  const lock = acquireLock(stage, 'training');
  try {
    for (let n = 0; ; n++) {
      const id = runDirName(now, name, n);
      const dir = path.join(runsRoot, id);
      if (fs.existsSync(dir)) continue;
      const record = build(id);
      parseRunRecord(record); // the writer's own output must satisfy the schema readers use
      writeFileAtomic(path.join(stage, RUN_JSON), JSON.stringify(record, null, 2) + '\n', { stage: 'run record' });
      fs.mkdirSync(path.join(stage, CHECKPOINTS_DIR), { recursive: true });
      try {
        fs.renameSync(stage, dir); // refused onto a non-empty directory: another run took the name
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOTEMPTY' || code === 'EEXIST') continue;
        throw err;
      }
      return { dir, record, lock: { ...lock, file: path.join(dir, path.basename(lock.file)), release: movedRelease(lock, dir) } };
    }
  } catch (err) {
    fs.rmSync(stage, { recursive: true, force: true });
    throw err;
  }
}

/** The lock moved with its directory: release the file at its new place. */
function movedRelease(lock: Lock, dir: string): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    const file = path.join(dir, path.basename(lock.file));
    try {
      if ((JSON.parse(fs.readFileSync(file, 'utf8')) as { nonce?: string }).nonce === lock.info.nonce) fs.rmSync(file, { force: true });
    } catch {
      // already gone
    }
  };
}

/** Staging directories of createRun calls that were killed before the rename. */
function removeStaleStaging(runsRoot: string): void {
  for (const n of fs.readdirSync(runsRoot)) {
    const m = /^\.new-(\d+)-[0-9a-f]+$/.exec(n);
    if (m && !processAlive(Number(m[1]))) fs.rmSync(path.join(runsRoot, n), { recursive: true, force: true });
  }
}

/**
 * Take the run's lock to resume it, refusing while another process holds it
 * (training or resuming the same run, or trashing it), and clear temp files
 * of writers that were killed.
 */
export function lockRunForResume(dir: string): Lock {
  try {
    const lock = acquireLock(dir, 'training (resume)');
    cleanStaleTemps(dir, processAlive);
    return lock;
  } catch (err) {
    if (err instanceof RunLocked) throw new Error(`${dir}: the run is still running or in use (${err.holder.purpose} (pid ${err.holder.pid} on ${err.holder.host}, since ${err.holder.since})); stop it before resuming`);
    throw err;
  }
}

/** Owns run.json and metrics.jsonl of one run while it trains. */
export class RunWriter {
  readonly runJson: string;
  readonly metricsFile: string;
  readonly checkpointsDir: string;

  constructor(
    readonly dir: string,
    public record: RunRecord,
    /** the run's lock, released once the final status is written */
    private readonly lock: Lock | null = null,
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
    if (last[0] !== 0x0a) appendFileSynced(this.metricsFile, '\n', { stage: 'metrics' });
  }

  update(patch: Partial<RunRecord>): void {
    this.record = { ...this.record, ...patch };
    writeFileAtomic(this.runJson, JSON.stringify(this.record, null, 2) + '\n', { stage: 'run record' });
  }

  finish(status: Exclude<RunStatus, 'running'>, error: string | null = null): void {
    try {
      this.update({ status, endedAt: new Date().toISOString(), error });
    } finally {
      this.lock?.release();
    }
  }

  /**
   * After a resume from the checkpoint at `globalStep`: drop the step, epoch
   * and kNN records the interrupted attempt wrote past it, so every x value
   * appears once in the series. The resume line that follows marks the attempt.
   */
  dropMetricsAfter(globalStep: number): number {
    let text: string;
    try {
      text = fs.readFileSync(this.metricsFile, 'utf8');
    } catch {
      return 0;
    }
    const kept: string[] = [];
    let dropped = 0;
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      let rec: { type?: unknown; globalStep?: unknown };
      try {
        rec = JSON.parse(line) as typeof rec;
      } catch {
        dropped++; // a partial line from the kill
        continue;
      }
      if ((rec.type === 'step' || rec.type === 'epoch' || rec.type === 'knn') && typeof rec.globalStep === 'number' && rec.globalStep > globalStep) dropped++;
      else kept.push(line);
    }
    if (dropped > 0) writeFileAtomic(this.metricsFile, kept.map((l) => l + '\n').join(''), { stage: 'metrics' });
    return dropped;
  }

  metric(rec: MetricRecord): void {
    // One write call per line: readers see whole lines or a partial last one.
    appendFileSynced(this.metricsFile, JSON.stringify(rec) + '\n', { stage: 'metrics' });
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

/** run.json's description of the data a run trains on: where it came from, its splits and their checksum. */
export function datasetRecord(ds: Dataset, source: string, train: ImageSet, test: ImageSet | null, checksum = imageSetsChecksum(test ? [train, test] : [train])): RunRecord['dataset'] {
  return {
    id: ds.id,
    name: ds.name,
    format: ds.format,
    path: source,
    classNames: ds.classNames,
    trainCount: train.count,
    testCount: test?.count ?? 0,
    height: train.height,
    width: train.width,
    channels: train.channels,
    checksum,
  };
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
