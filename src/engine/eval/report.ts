import fs from 'node:fs';
import path from 'node:path';
import { readJsonFile, writeJsonAtomic } from '../fs/atomic.js';
import {
  parseEvalReport,
  reportToCsv,
  reportToMarkdown,
  resultKey,
  type EvalReport,
  type ProtocolResult,
} from '../../shared/eval.js';
import { isFullData, type EvalLimits } from '../../shared/eval-history.js';
import { appendHistory, historyEntry, migrateHistory, readHistory } from './history.js';
import { REFERENCES } from './references.js';
import { NotFoundError } from '../errors.js';

export const EVAL_JSON = 'eval.json';
export const REPORT_FORMATS = ['md', 'csv', 'json'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** The run's eval.json, validated; null when the run has none yet. */
export function readEvalReport(runDir: string): EvalReport | null {
  const file = path.join(runDir, EVAL_JSON);
  const raw = readJsonFile(file);
  return raw === null ? null : parseEvalReport(raw, file);
}

/**
 * Add results to the run's report (a result replaces an earlier one with the
 * same protocol, dataset, input size and label fraction, unless only the
 * earlier one used all the data; every result stays in evals/), refresh the
 * reference list, and write eval.json atomically (temp file + rename), so a
 * reader never sees a half-written report and an interrupted `eval --protocol
 * all` keeps the protocols that finished.
 */
export function saveResults(runDir: string, run: EvalReport['run'], results: ProtocolResult[], now = new Date(), limits: EvalLimits | null = null): EvalReport {
  if (!fs.existsSync(runDir)) throw new NotFoundError('run', runDir, `${runDir}: no such run directory`);
  const old = readEvalReport(runDir);
  // Every result is also kept in the run's history (evals/); eval.json shows one per key:
  // the newest, except that a result on limited data does not displace one on all the data.
  migrateHistory(runDir, old);
  appendHistory(runDir, results, limits);
  const fullShown = new Set(readHistory(runDir).entries.filter(isFullData).map((e) => `${resultKey(e.result)}|${e.result.finishedAt}`));
  const byKey = new Map<string, ProtocolResult>();
  for (const r of old?.results ?? []) byKey.set(resultKey(r), r);
  const newIsFull = limits !== null && isFullData({ limits });
  for (const r of results) {
    const shown = byKey.get(resultKey(r));
    if (shown && !newIsFull && fullShown.has(`${resultKey(shown)}|${shown.finishedAt}`)) continue;
    byKey.set(resultKey(r), r);
  }
  return writeReport(runDir, run, [...byKey.values()], now);
}

/** Show a record from the run's history in eval.json (the Runs table's number) instead of the one there now. */
export function selectResult(runDir: string, entryId: string, now = new Date()): EvalReport {
  const old = readEvalReport(runDir);
  if (!old) throw new Error(`${path.join(runDir, EVAL_JSON)}: the run has no evaluation report`);
  const { result } = historyEntry(runDir, entryId);
  const byKey = new Map(old.results.map((r) => [resultKey(r), r] as const));
  byKey.set(resultKey(result), result);
  return writeReport(runDir, old.run, [...byKey.values()], now);
}

function writeReport(runDir: string, run: EvalReport['run'], results: ProtocolResult[], now: Date): EvalReport {
  const report = parseEvalReport(
    {
      schemaVersion: 1,
      run,
      results,
      references: REFERENCES,
      updatedAt: now.toISOString(),
    },
    'new eval report',
  );
  writeJsonAtomic(path.join(runDir, EVAL_JSON), report);
  return report;
}

/** The report as Markdown, CSV or JSON text. */
export function formatReport(report: EvalReport, format: ReportFormat): string {
  switch (format) {
    case 'md':
      return reportToMarkdown(report);
    case 'csv':
      return reportToCsv(report);
    case 'json':
      return JSON.stringify(report, null, 2) + '\n';
    default:
      throw new Error(`unknown report format "${String(format)}": use ${REPORT_FORMATS.join(', ')}`);
  }
}
