import fs from 'node:fs';
import path from 'node:path';
import { runListQuerySchema, runAnnotationsSchema, type RunAnnotations, type RunComparison, type RunListQuery, type RunSummary } from '../../shared/runs.js';
import type { RunRecord } from '../../shared/run.js';
import type { TrainConfig } from '../../shared/train-config.js';
import { readJsonFile, writeJsonAtomic } from '../fs/atomic.js';
import { exportRunArchive, importRunArchive } from './archive.js';
import { compareRuns, runSeries } from './compare.js';
import { scanRuns } from './index-file.js';
import { readMetrics } from './metrics.js';
import { acquireLock, NOTES_LOCK, RUN_LOCK, RunLocked, withLock } from './lock.js';
import { checkRunId, runsDir, trashDir } from './paths.js';
import { evalAccuracies, METRICS_FILE, NOTES_FILE, readAnnotations, readRunRecord, summarizeRun } from './summary.js';

export interface RunDetail {
  summary: RunSummary;
  record: RunRecord;
  annotations: RunAnnotations;
  evaluations: Record<string, number>;
  /** unreadable metrics lines skipped */
  badMetricLines: number;
}

export interface TrashedRun {
  /** the trash entry's name: the run id, or the run id plus `.trash-N` when that id was trashed before */
  id: string;
  trashedAt: string;
  summary: RunSummary | null;
}

const TRASH_NOTE = '.trashed.json';
/** How long a notes edit waits for another one on the same run (they take milliseconds). */
const NOTES_WAIT_MS = 15_000;

/** The run history under one data root. Every method reads the directories afresh. */
export class RunStore {
  readonly runsRoot: string;
  readonly trashRoot: string;

  constructor(readonly dataRoot: string) {
    this.runsRoot = runsDir(dataRoot);
    this.trashRoot = trashDir(dataRoot);
  }

  dir(id: string): string {
    return path.join(this.runsRoot, checkRunId(id));
  }

  private existing(id: string): string {
    const dir = this.dir(id);
    if (!fs.existsSync(path.join(dir, 'run.json'))) throw new Error(`no run "${id}" in ${this.runsRoot}`);
    return dir;
  }

  list(query: RunListQuery = {}): { runs: RunSummary[]; skipped: { id: string; reason: string }[] } {
    const q = runListQuerySchema.parse(query);
    const { summaries, skipped } = scanRuns(this.runsRoot);
    const text = q.text?.toLowerCase();
    const runs = summaries.filter(
      (s) =>
        (!q.status || s.status === q.status) &&
        (!q.dataset || s.datasetId === q.dataset) &&
        (!q.model || s.model.startsWith(q.model)) &&
        (!q.tag || s.tags.includes(q.tag)) &&
        (!text || s.id.toLowerCase().includes(text) || s.name.toLowerCase().includes(text)),
    );
    const key = q.sort;
    const sign = q.descending ? -1 : 1;
    runs.sort((a, b) => {
      const va = a[key];
      const vb = b[key];
      // Runs without the metric sort last whichever the direction.
      if (va === null || va === undefined) return vb === null || vb === undefined ? 0 : 1;
      if (vb === null || vb === undefined) return -1;
      return (va < vb ? -1 : va > vb ? 1 : 0) * sign;
    });
    return { runs, skipped };
  }

  show(id: string): RunDetail {
    const dir = this.existing(id);
    const { badLines } = readMetrics(path.join(dir, METRICS_FILE));
    return {
      summary: summarizeRun(dir),
      record: readRunRecord(dir),
      annotations: readAnnotations(dir),
      evaluations: evalAccuracies(dir),
      badMetricLines: badLines.length,
    };
  }

  private annotate(id: string, change: (a: RunAnnotations) => RunAnnotations): RunAnnotations {
    const dir = this.existing(id);
    // Read-modify-write under the notes lock: parallel edits queue, none is lost.
    return withLock(
      dir,
      'a notes edit',
      () => {
        const next = runAnnotationsSchema.parse(change(readAnnotations(dir)));
        writeJsonAtomic(path.join(dir, NOTES_FILE), next, { stage: 'run notes' });
        return next;
      },
      { name: NOTES_LOCK, waitMs: NOTES_WAIT_MS },
    );
  }

  rename(id: string, name: string): RunAnnotations {
    return this.annotate(id, (a) => ({ ...a, name }));
  }

  tag(id: string, add: string[] = [], remove: string[] = []): RunAnnotations {
    return this.annotate(id, (a) => ({ ...a, tags: [...new Set([...a.tags.filter((t) => !remove.includes(t)), ...add])] }));
  }

  setNotes(id: string, notes: string): RunAnnotations {
    return this.annotate(id, (a) => ({ ...a, notes }));
  }

  /** The run's config, ready to start a new run from ("clone to retrain"). */
  cloneConfig(id: string): TrainConfig {
    const record = readRunRecord(this.existing(id));
    return { ...record.config, runName: `${record.name} (retrain)`.slice(0, 80) };
  }

  /**
   * Move a run to the trash. A running run (its lock held) cannot be trashed.
   * Never deletes: an id already in the trash gets the next free entry name.
   */
  trash(id: string): string {
    const dir = this.existing(id);
    let lock;
    try {
      lock = acquireLock(dir, 'trash');
    } catch (err) {
      if (err instanceof RunLocked) throw new Error(`run "${id}" is still running (${err.holder.purpose}, pid ${err.holder.pid}); cancel it first`);
      throw err;
    }
    let entry: string;
    try {
      fs.mkdirSync(this.trashRoot, { recursive: true });
      entry = id;
      for (let n = 2; fs.existsSync(path.join(this.trashRoot, entry)); n++) entry = `${id}.trash-${n}`;
      // The note goes in first, so the entry always says which run it holds.
      writeJsonAtomic(path.join(dir, TRASH_NOTE), { trashedAt: new Date().toISOString(), runId: id }, { stage: 'trash note' });
      fs.renameSync(dir, path.join(this.trashRoot, entry));
    } catch (err) {
      fs.rmSync(path.join(dir, TRASH_NOTE), { force: true });
      lock.release();
      throw err;
    }
    fs.rmSync(path.join(this.trashRoot, entry, RUN_LOCK), { force: true });
    return entry;
  }

  private trashNote(entry: string): { trashedAt?: string; runId?: string } | null {
    return readJsonFile(path.join(this.trashRoot, entry, TRASH_NOTE)) as { trashedAt?: string; runId?: string } | null;
  }

  listTrash(): TrashedRun[] {
    if (!fs.existsSync(this.trashRoot)) return [];
    return fs
      .readdirSync(this.trashRoot)
      .filter((n) => !n.startsWith('.'))
      .map((id) => {
        const dir = path.join(this.trashRoot, id);
        const note = this.trashNote(id);
        let summary: RunSummary | null = null;
        try {
          summary = summarizeRun(dir);
        } catch {
          summary = null;
        }
        return { id, trashedAt: note?.trashedAt ?? '', summary };
      });
  }

  /**
   * Bring back a trash entry, by its entry name or by run id (then the most
   * recently trashed copy of that run). Returns the run id it has again.
   */
  restore(idOrEntry: string): string {
    checkRunId(idOrEntry);
    const copies = this.listTrash()
      .filter((t) => this.trashNote(t.id)?.runId === idOrEntry)
      .sort((a, b) => (a.trashedAt < b.trashedAt ? 1 : a.trashedAt > b.trashedAt ? -1 : b.id.length - a.id.length));
    const entry = copies[0]?.id ?? idOrEntry;
    if (!fs.existsSync(path.join(this.trashRoot, entry))) throw new Error(`no run "${idOrEntry}" in the trash (${this.trashRoot})`);
    const from = path.join(this.trashRoot, entry);
    const id = checkRunId(this.trashNote(entry)?.runId ?? entry);
    const to = this.dir(id);
    if (fs.existsSync(to)) throw new Error(`cannot restore "${id}": a run with that id exists again; rename or delete it first`);
    fs.mkdirSync(this.runsRoot, { recursive: true });
    fs.renameSync(from, to);
    fs.rmSync(path.join(to, TRASH_NOTE), { force: true });
    return id;
  }

  /** Delete trashed runs for good. */
  emptyTrash(ids?: string[]): string[] {
    const names = ids ?? this.listTrash().map((t) => t.id);
    for (const id of names) fs.rmSync(path.join(this.trashRoot, checkRunId(id)), { recursive: true, force: true });
    return names;
  }

  exportRun(id: string, file: string, opts: { allCheckpoints?: boolean } = {}) {
    return exportRunArchive(this.existing(id), file, opts);
  }

  importRun(file: string): Promise<string> {
    return importRunArchive(file, this.runsRoot);
  }

  series(id: string) {
    return runSeries(id, this.existing(id));
  }

  compare(ids: string[]): RunComparison {
    if (ids.length < 2) throw new Error('compare needs at least two run ids');
    const dirs = Object.fromEntries(ids.map((id) => [id, this.existing(id)]));
    return compareRuns(dirs, ids.map((id) => summarizeRun(dirs[id]!)));
  }
}
