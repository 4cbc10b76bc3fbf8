import fs from 'node:fs';

export interface MetricsRead {
  records: Record<string, unknown>[];
  /** lines that could not be parsed, e.g. a half-written last line of a live run */
  badLines: number[];
}

/**
 * Read metrics.jsonl, skipping lines that are not complete JSON objects. A
 * trainer appending while we read leaves at most a partial last line; an old
 * crash can leave one in the middle. Neither should break a listing.
 */
export function readMetrics(file: string, fromByte = 0): MetricsRead {
  let buf: Buffer;
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const start = Math.max(0, Math.min(fromByte, size));
      buf = Buffer.alloc(size - start);
      fs.readSync(fd, buf, 0, buf.length, start);
    } finally {
      fs.closeSync(fd);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], badLines: [] };
    throw err;
  }
  const lines = buf.toString('utf8').split('\n');
  const records: Record<string, unknown>[] = [];
  const badLines: number[] = [];
  // Reading from the middle of the file: the first piece may be the tail of a line.
  const first = fromByte > 0 ? 1 : 0;
  for (let i = first; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line) continue;
    try {
      const value = JSON.parse(line) as unknown;
      if (value && typeof value === 'object' && !Array.isArray(value)) records.push(value as Record<string, unknown>);
      else badLines.push(i + 1);
    } catch {
      badLines.push(i + 1);
    }
  }
  return { records, badLines };
}

/** The last records of each type, reading only the file's tail (enough for a summary). */
export function readMetricsTail(file: string, tailBytes = 256 * 1024): MetricsRead {
  let size = 0;
  try {
    size = fs.statSync(file).size;
  } catch {
    return { records: [], badLines: [] };
  }
  return readMetrics(file, Math.max(0, size - tailBytes));
}

export function lastOfType(records: Record<string, unknown>[], type: string): Record<string, unknown> | undefined {
  for (let i = records.length - 1; i >= 0; i--) if (records[i]!.type === type) return records[i];
  return undefined;
}
