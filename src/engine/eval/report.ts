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
 * same protocol, dataset, input size and label fraction), refresh the
 * reference list, and write eval.json atomically (temp file + rename), so a
 * reader never sees a half-written report and an interrupted `eval --protocol
 * all` keeps the protocols that finished.
 */
export function saveResults(runDir: string, run: EvalReport['run'], results: ProtocolResult[], now = new Date()): EvalReport {
  if (!fs.existsSync(runDir)) throw new NotFoundError('run', runDir, `${runDir}: no such run directory`);
  const old = readEvalReport(runDir);
  const byKey = new Map<string, ProtocolResult>();
  for (const r of old?.results ?? []) byKey.set(resultKey(r), r);
  for (const r of results) byKey.set(resultKey(r), r);
  const report = parseEvalReport(
    {
      schemaVersion: 1,
      run,
      results: [...byKey.values()],
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
