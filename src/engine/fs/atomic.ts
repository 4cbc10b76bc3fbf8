/**
 * The one writer for files that must survive a crash or a full disk: every
 * byte written or an error (never a silent short write), the size checked
 * before the rename, the directory fsynced after it. run.json, checkpoints,
 * metrics, eval.json, caches, notes and the server token all go through here.
 *
 * `writeFs` is the file-system surface these writers use; tests swap it
 * (useWriteFs) for one that returns short writes or throws ENOSPC.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface WriteFs {
  openSync(file: string, flags: string, mode?: number): number;
  writeSync(fd: number, buffer: Uint8Array, offset: number, length: number, position?: number | null): number;
  fsyncSync(fd: number): void;
  fstatSync(fd: number): { size: number };
  closeSync(fd: number): void;
  renameSync(from: string, to: string): void;
}

const realFs: WriteFs = {
  openSync: (f, flags, mode) => fs.openSync(f, flags, mode),
  writeSync: (fd, b, o, l, p) => fs.writeSync(fd, b, o, l, p),
  fsyncSync: (fd) => fs.fsyncSync(fd),
  fstatSync: (fd) => fs.fstatSync(fd),
  closeSync: (fd) => fs.closeSync(fd),
  renameSync: (a, b) => fs.renameSync(a, b),
};

let writeFs: WriteFs = realFs;

/** Swap the file-system surface (tests only); returns a function that puts the real one back. */
export function useWriteFs(replacement: Partial<WriteFs>): () => void {
  const before = writeFs;
  writeFs = { ...realFs, ...replacement };
  return () => {
    writeFs = before;
  };
}

/** A write that failed, naming the file, what was being written, and what to do. */
export class WriteFailed extends Error {
  constructor(
    readonly file: string,
    readonly stage: string,
    readonly code: string | undefined,
    readonly reason: string,
  ) {
    const hint = code === 'ENOSPC' || code === 'EDQUOT' ? ': the disk is full; free some space and retry' : '';
    super(`${stage}: could not write ${file} (${reason})${hint}; the previous version, if any, is unchanged`);
    this.name = 'WriteFailed';
  }
}

function failure(file: string, stage: string, err: unknown): WriteFailed {
  if (err instanceof WriteFailed) return err;
  const e = err as NodeJS.ErrnoException;
  return new WriteFailed(file, stage, e.code, e.message);
}

function toBytes(data: string | Uint8Array): Uint8Array {
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
}

/**
 * Test hook for the fault-injection suite (test/fault): with
 * SIMCLR_WORKBENCH_TEST_HOOKS=1 and SIMCLR_FAULT_KILL="<stage text>#<n>", the
 * nth write whose stage contains that text writes half its bytes and then the
 * process SIGKILLs itself, so tests can prove what a kill mid-write leaves.
 */
const faultKill = (() => {
  if (process.env.SIMCLR_WORKBENCH_TEST_HOOKS !== '1') return null;
  const m = /^(.+)#(\d+)$/.exec(process.env.SIMCLR_FAULT_KILL ?? '');
  return m ? { stage: m[1]!, nth: Number(m[2]), seen: 0 } : null;
})();

function maybeKillMidWrite(fd: number, bytes: Uint8Array, stage: string, position: number | null): void {
  if (!faultKill || !stage.includes(faultKill.stage) || ++faultKill.seen !== faultKill.nth) return;
  const half = Math.floor(bytes.byteLength / 2);
  if (half > 0) writeFs.writeSync(fd, bytes, 0, half, position);
  process.kill(process.pid, 'SIGKILL');
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10_000); // the signal lands; nothing after this runs
}

/** Write all of `bytes` to `fd`, looping over short writes; a write that makes no progress is an error. */
function writeAll(fd: number, bytes: Uint8Array, file: string, stage: string, position: number | null = null): void {
  maybeKillMidWrite(fd, bytes, stage, position);
  let done = 0;
  while (done < bytes.byteLength) {
    const n = writeFs.writeSync(fd, bytes, done, bytes.byteLength - done, position === null ? null : position + done);
    if (!(n > 0)) throw new WriteFailed(file, stage, 'ENOSPC', `only ${done} of ${bytes.byteLength} bytes could be written`);
    done += n;
  }
}

/** fsync a directory so a rename in it is durable (not possible on Windows: best effort there). */
export function fsyncDir(dir: string): void {
  let fd: number;
  try {
    fd = fs.openSync(dir, 'r');
  } catch {
    return;
  }
  try {
    writeFs.fsyncSync(fd);
  } catch (err) {
    if (process.platform !== 'win32' && (err as NodeJS.ErrnoException).code !== 'EISDIR' && (err as NodeJS.ErrnoException).code !== 'EINVAL') throw err;
  } finally {
    fs.closeSync(fd);
  }
}

export interface WriteOptions {
  /** what is being written, for the error message ("run record", "checkpoint tensors") */
  stage?: string;
  /** file mode for a new file (default 0o666 less the umask) */
  mode?: number;
}

/**
 * Write, fsync and size-check `file` in place (no rename): for files inside a
 * temporary directory that is itself renamed into place afterwards.
 */
export function writeFileSynced(file: string, data: string | Uint8Array, opts: WriteOptions = {}): void {
  const stage = opts.stage ?? 'write';
  const bytes = toBytes(data);
  let fd: number | null = null;
  try {
    fd = writeFs.openSync(file, 'w', opts.mode ?? 0o666);
    writeAll(fd, bytes, file, stage, 0);
    writeFs.fsyncSync(fd);
    const size = writeFs.fstatSync(fd).size;
    if (size !== bytes.byteLength) throw new WriteFailed(file, stage, 'ENOSPC', `${size} of ${bytes.byteLength} bytes on disk after writing`);
  } catch (err) {
    throw failure(file, stage, err);
  } finally {
    if (fd !== null) writeFs.closeSync(fd);
  }
}

let tmpCounter = 0;

/** The temporary name writeFileAtomic uses beside `file` (cleanStaleTemps recognises it). */
export function tempNameFor(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now()}.${tmpCounter++}.tmp`);
}

/**
 * Replace `file` so that readers (and a restart after kill -9 or a power cut)
 * see either the old content or the new, whole: temp file beside it, every
 * byte written, fsync, size check, rename, fsync of the directory.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array, opts: WriteOptions = {}): void {
  const stage = opts.stage ?? 'write';
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true });
  const tmp = tempNameFor(file);
  try {
    writeFileSynced(tmp, data, { ...opts, stage });
    writeFs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    // Name the file the caller asked for, not our temp.
    throw err instanceof WriteFailed ? new WriteFailed(file, stage, err.code, err.reason) : failure(file, stage, err);
  }
  try {
    fsyncDir(dir);
  } catch (err) {
    throw failure(file, stage, err);
  }
}

export function writeJsonAtomic(file: string, value: unknown, opts: WriteOptions = {}): void {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n', opts);
}

/**
 * Append `text` to `file` in one go, fsynced. A failure part-way leaves at
 * most a partial last line, which readers skip and the next writer ends
 * (terminatePartialLine in the trainer's RunWriter).
 */
export function appendFileSynced(file: string, text: string, opts: WriteOptions = {}): void {
  const stage = opts.stage ?? 'append';
  let fd: number | null = null;
  try {
    fd = writeFs.openSync(file, 'a', opts.mode ?? 0o666);
    writeAll(fd, toBytes(text), file, stage);
    writeFs.fsyncSync(fd);
  } catch (err) {
    throw failure(file, stage, err);
  } finally {
    if (fd !== null) writeFs.closeSync(fd);
  }
}

/** Temp files of writers that were killed mid-write: `.NAME.PID[.…].tmp`, removed when that pid is gone. */
export function cleanStaleTemps(dir: string, alive: (pid: number) => boolean): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const n of names) {
    const m = /^\..+?\.(\d+)(?:\.\d+)*\.tmp$/.exec(n);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid !== process.pid && alive(pid)) continue;
    fs.rmSync(path.join(dir, n), { recursive: true, force: true });
    removed.push(n);
  }
  return removed;
}

/** Parse a JSON file; null when it does not exist. Errors name the file. */
export function readJsonFile(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${file}: not valid JSON (${(err as Error).message})`);
  }
}
