/**
 * Exclusive locks on a run directory, so two writers never interleave.
 *
 *   <run>/.lock        the run itself: training or resume (held for the whole
 *                      run), trash. While it is held the run is "running".
 *   <run>/.notes.lock  notes.json (name, tags, notes): held for one
 *                      read-modify-write; waiters queue instead of failing.
 *
 * A lock file is created with O_EXCL and holds {pid, host, procStart, since,
 * purpose}. It is stale when its holder is gone: same host and the pid is not
 * alive, or the pid now belongs to another process (a different start time
 * in /proc). A stale lock is taken over; a live one refuses with who holds it.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const RUN_LOCK = '.lock';
export const NOTES_LOCK = '.notes.lock';

export interface LockInfo {
  pid: number;
  host: string;
  /** the holder's start time as the kernel counts it (Linux), to tell a reused pid apart */
  procStart: string | null;
  since: string;
  purpose: string;
  nonce: string;
}

/** A second writer was refused: the message says who holds the lock and what to do. */
export class RunLocked extends Error {
  constructor(
    readonly dir: string,
    readonly holder: LockInfo,
  ) {
    super(`${dir} is locked by ${holder.purpose} (pid ${holder.pid} on ${holder.host}, since ${holder.since}); wait for it to finish or stop it first`);
    this.name = 'RunLocked';
  }
}

/** Is a process with this pid alive on this machine? */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Field 22 of /proc/PID/stat (start time in clock ticks); null where there is no /proc. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may contain spaces.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function readLock(file: string): LockInfo | null {
  try {
    const v = JSON.parse(fs.readFileSync(file, 'utf8')) as LockInfo;
    return typeof v.pid === 'number' && typeof v.host === 'string' ? v : null;
  } catch {
    return null;
  }
}

/** Is the holder of this lock still there? A lock from another host counts as held (we cannot tell). */
export function lockHolderAlive(info: LockInfo): boolean {
  if (info.host !== os.hostname()) return true;
  if (!processAlive(info.pid)) return false;
  const now = processStartTime(info.pid);
  return info.procStart === null || now === null || now === info.procStart;
}

/** The live holder of `dir`'s lock, or null when it is free or stale. */
export function lockHolder(dir: string, name = RUN_LOCK): LockInfo | null {
  const info = readLock(path.join(dir, name));
  return info && lockHolderAlive(info) ? info : null;
}

export interface Lock {
  readonly file: string;
  readonly info: LockInfo;
  release(): void;
}

function tryCreate(file: string, info: LockInfo): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, 'wx', 0o644);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    fs.writeFileSync(fd, JSON.stringify(info) + '\n');
  } finally {
    fs.closeSync(fd);
  }
  return true;
}

/**
 * Move a stale lock aside, but only the one we judged stale: another taker
 * may have replaced it meanwhile, and that fresh lock must be put back.
 */
function removeStale(file: string, stale: LockInfo | null): void {
  const aside = `${file}.stale-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  try {
    fs.renameSync(file, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  const moved = readLock(aside);
  if (moved && stale && moved.nonce !== stale.nonce && lockHolderAlive(moved)) {
    try {
      fs.linkSync(aside, file);
    } catch {
      // someone else holds it now; the moved holder will find its lock gone on release, harmlessly
    }
  }
  fs.rmSync(aside, { force: true });
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Take `dir`'s lock for `purpose`, waiting up to `waitMs` for a live holder
 * (0: refuse at once). Throws RunLocked naming the holder.
 */
export function acquireLock(dir: string, purpose: string, opts: { name?: string; waitMs?: number } = {}): Lock {
  const file = path.join(dir, opts.name ?? RUN_LOCK);
  const info: LockInfo = {
    pid: process.pid,
    host: os.hostname(),
    procStart: processStartTime(process.pid),
    since: new Date().toISOString(),
    purpose,
    nonce: crypto.randomBytes(8).toString('hex'),
  };
  const deadline = Date.now() + (opts.waitMs ?? 0);
  for (let attempt = 0; ; attempt++) {
    if (tryCreate(file, info)) break;
    const holder = readLock(file);
    if (holder === null) {
      // Unreadable: a holder between create and write, or one killed there. Give it a moment.
      const st = fs.statSync(file, { throwIfNoEntry: false });
      if (st && Date.now() - st.mtimeMs > 2000) removeStale(file, null);
      else sleep(5);
      continue;
    }
    if (!lockHolderAlive(holder)) {
      removeStale(file, holder);
      continue;
    }
    if (Date.now() >= deadline) throw new RunLocked(dir, holder);
    sleep(Math.min(50, 2 + attempt * 2 + Math.random() * 5));
  }
  let released = false;
  return {
    file,
    info,
    release() {
      if (released) return;
      released = true;
      // Only remove our own lock (never one a stale-taker wrote after us).
      if (readLock(file)?.nonce === info.nonce) fs.rmSync(file, { force: true });
    },
  };
}

/** Run `fn` while holding `dir`'s lock. */
export function withLock<T>(dir: string, purpose: string, fn: () => T, opts: { name?: string; waitMs?: number } = {}): T {
  const lock = acquireLock(dir, purpose, opts);
  try {
    return fn();
  } finally {
    lock.release();
  }
}
