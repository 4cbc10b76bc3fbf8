/**
 * The run history table's model: columns, client-side sort and filter (the
 * list is small and already loaded, so both are instant and need no round trip).
 */
import type { RunSummary } from '../../../../shared/runs';

export type SortKey = 'name' | 'status' | 'datasetName' | 'model' | 'epochsCompleted' | 'finalLoss' | 'knnAccuracy' | 'linearAccuracy' | 'startedAt';

export interface Column {
  key: SortKey;
  title: string;
  numeric?: boolean;
}

export const COLUMNS: Column[] = [
  { key: 'name', title: 'Run' },
  { key: 'status', title: 'Status' },
  { key: 'datasetName', title: 'Dataset' },
  { key: 'model', title: 'Model' },
  { key: 'epochsCompleted', title: 'Epochs', numeric: true },
  { key: 'finalLoss', title: 'Loss', numeric: true },
  { key: 'knnAccuracy', title: 'kNN', numeric: true },
  { key: 'linearAccuracy', title: 'Linear', numeric: true },
  { key: 'startedAt', title: 'Started' },
];

export interface RunFilter {
  text: string;
  status: string;
  tag: string;
  dataset: string;
}

export const EMPTY_FILTER: RunFilter = { text: '', status: '', tag: '', dataset: '' };

export function filterRuns(runs: RunSummary[], f: RunFilter): RunSummary[] {
  const text = f.text.trim().toLowerCase();
  return runs.filter(
    (r) =>
      (!text || r.id.toLowerCase().includes(text) || r.name.toLowerCase().includes(text) || r.tags.some((t) => t.toLowerCase().includes(text))) &&
      (!f.status || r.status === f.status) &&
      (!f.tag || r.tags.includes(f.tag)) &&
      (!f.dataset || r.datasetId === f.dataset),
  );
}

/** Sorted copy; runs without a value (no kNN yet...) go last in either direction. */
export function sortRuns(runs: RunSummary[], key: SortKey, descending: boolean): RunSummary[] {
  const dir = descending ? -1 : 1;
  return [...runs].sort((a, b) => {
    const x = a[key];
    const y = b[key];
    if (x === null || x === undefined) return y === null || y === undefined ? 0 : 1;
    if (y === null || y === undefined) return -1;
    if (typeof x === 'number' && typeof y === 'number') return (x - y) * dir;
    return String(x).localeCompare(String(y)) * dir;
  });
}

/** Clicking a header: a new column sorts its natural way (numbers and dates high first), the same one flips. */
export function nextSort(current: { key: SortKey; descending: boolean }, key: SortKey): { key: SortKey; descending: boolean } {
  if (current.key === key) return { key, descending: !current.descending };
  const col = COLUMNS.find((c) => c.key === key);
  return { key, descending: !!col?.numeric || key === 'startedAt' };
}

export function allTags(runs: RunSummary[]): string[] {
  return [...new Set(runs.flatMap((r) => r.tags))].sort();
}
