/**
 * Every atomic writer under a nearly full disk: writes that return fewer
 * bytes than asked, then ENOSPC. Nothing may be replaced by a truncated copy,
 * and the error must name the file and what was being written.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it } from 'vitest';
import { appendFileSynced, useWriteFs, writeFileAtomic, WriteFailed, type WriteFs } from '../../src/engine/fs/atomic.js';
import { listCheckpoints, readCheckpoint, writeCheckpoint } from '../../src/engine/train/checkpoint.js';
import { RunWriter } from '../../src/engine/train/run-dir.js';

const dirs: string[] = [];
let restore: (() => void) | null = null;
afterEach(() => {
  restore?.();
  restore = null;
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'simclr-short-'));
  dirs.push(d);
  return d;
}

/** A disk with `free` bytes left: each write gets at most `chunk` bytes, the one that reaches the end is short, the next fails with ENOSPC. */
function nearlyFullDisk(free: number, chunk = 4096): Partial<WriteFs> {
  let left = free;
  return {
    writeSync(fd, buffer, offset, length, position) {
      if (left <= 0) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      const n = Math.min(length, chunk, left);
      left -= n;
      return fs.writeSync(fd, buffer, offset, n, position);
    },
  };
}

/** Short writes only (a pipe, a signal, NFS): every byte must still arrive. */
function shortWrites(chunk: number): Partial<WriteFs> {
  return { writeSync: (fd, buffer, offset, length, position) => fs.writeSync(fd, buffer, offset, Math.min(length, chunk), position) };
}

/** A run.json the size of a real one (5393 bytes in the report). */
function bigRecordText(): string {
  return JSON.stringify({ pad: 'x'.repeat(5393 - 12) });
}

describe('writeFileAtomic on a nearly full disk', () => {
  it('loops over short writes until every byte is on disk', () => {
    const file = path.join(tmp(), 'run.json');
    const text = bigRecordText();
    restore = useWriteFs(shortWrites(100));
    writeFileAtomic(file, text, { stage: 'run record' });
    restore();
    expect(fs.readFileSync(file, 'utf8')).toBe(text);
  });

  it('a 4096-of-5393-byte write then ENOSPC keeps the old file, leaves no temp, and names file and stage', () => {
    const dir = tmp();
    const file = path.join(dir, 'run.json');
    fs.writeFileSync(file, '{"good":true}\n');
    restore = useWriteFs(nearlyFullDisk(4096));
    let err: unknown;
    try {
      writeFileAtomic(file, bigRecordText(), { stage: 'run record' });
    } catch (e) {
      err = e;
    }
    restore();
    expect(err).toBeInstanceOf(WriteFailed);
    expect((err as WriteFailed).code).toBe('ENOSPC');
    expect((err as Error).message).toContain(file);
    expect((err as Error).message).toMatch(/^run record: could not write .*disk is full/);
    expect(fs.readFileSync(file, 'utf8')).toBe('{"good":true}\n');
    expect(fs.readdirSync(dir)).toEqual(['run.json']);
  });

  it('a write that makes no progress is an error, not a hang or a truncated file', () => {
    const file = path.join(tmp(), 'x.json');
    restore = useWriteFs({ writeSync: () => 0 });
    expect(() => writeFileAtomic(file, 'abc', { stage: 'notes' })).toThrow(/notes: could not write .*only 0 of 3 bytes/);
    restore();
    expect(fs.existsSync(file)).toBe(false);
  });

  it('refuses to rename when the size on disk differs from what was written', () => {
    const file = path.join(tmp(), 'x.json');
    fs.writeFileSync(file, 'old');
    restore = useWriteFs({ fstatSync: () => ({ size: 2 }) });
    expect(() => writeFileAtomic(file, 'abc')).toThrow(/2 of 3 bytes on disk/);
    restore();
    expect(fs.readFileSync(file, 'utf8')).toBe('old');
  });
});

describe('the trainer\'s files on a nearly full disk', () => {
  it('run.json: RunWriter.update fails with the stage and keeps the previous record', () => {
    const dir = tmp();
    const writer = new RunWriter(dir, { id: 'r', status: 'running' } as never);
    writer.update({});
    const before = fs.readFileSync(writer.runJson, 'utf8');
    restore = useWriteFs(nearlyFullDisk(64));
    expect(() => writer.update({ name: 'y'.repeat(5000) } as never)).toThrow(/run record: could not write .*run\.json.*disk is full/);
    restore();
    expect(fs.readFileSync(writer.runJson, 'utf8')).toBe(before);
  });

  it('metrics.jsonl: an append that hits ENOSPC names the file; the next writer ends the partial line', () => {
    const dir = tmp();
    const writer = new RunWriter(dir, { id: 'r', status: 'running' } as never);
    writer.metric({ type: 'eval', n: 1 });
    restore = useWriteFs(nearlyFullDisk(10, 10));
    expect(() => writer.metric({ type: 'eval', n: 2, pad: 'z'.repeat(100) })).toThrow(/metrics: could not write .*metrics\.jsonl.*disk is full/);
    restore();
    const again = new RunWriter(dir, writer.record);
    again.metric({ type: 'eval', n: 3 });
    const lines = fs.readFileSync(writer.metricsFile, 'utf8').split('\n').filter(Boolean);
    expect(JSON.parse(lines[0]!)).toMatchObject({ n: 1 });
    expect(() => JSON.parse(lines[1]!)).toThrow(); // the cut line, skipped by readers
    expect(JSON.parse(lines[2]!)).toMatchObject({ n: 3 });
  });

  it('appendFileSynced loops over short writes', () => {
    const file = path.join(tmp(), 'm.jsonl');
    restore = useWriteFs(shortWrites(3));
    appendFileSynced(file, 'hello world\n');
    appendFileSynced(file, 'again\n');
    restore();
    expect(fs.readFileSync(file, 'utf8')).toBe('hello world\nagain\n');
  });

  it('a checkpoint cut short by ENOSPC is not published; the earlier one stays intact', async () => {
    const ck = path.join(tmp(), 'checkpoints');
    const w = tf.tensor1d(Float32Array.from({ length: 4096 }, (_, i) => i / 7));
    await writeCheckpoint(ck, { epoch: 1, globalStep: 6, state: {} }, { model: [{ name: 'w', tensor: w }], optimizer: [] });
    restore = useWriteFs(nearlyFullDisk(5000));
    await expect(writeCheckpoint(ck, { epoch: 2, globalStep: 12, state: {} }, { model: [{ name: 'w', tensor: w }], optimizer: [] })).rejects.toThrow(
      /checkpoint epoch-0002 tensors: could not write .*tensors\.bin.*disk is full/,
    );
    restore();
    expect(listCheckpoints(ck)).toEqual(['epoch-0001']);
    expect(fs.readdirSync(ck).sort()).toEqual(['epoch-0001', 'latest']);
    expect(fs.readFileSync(path.join(ck, 'latest'), 'utf8').trim()).toBe('epoch-0001');
    expect(Array.from(readCheckpoint(path.join(ck, 'epoch-0001')).values.get('model/w')!.data)).toEqual(Array.from(await w.data()));
    w.dispose();
  });
});
