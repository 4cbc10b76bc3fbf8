/**
 * Windowing for long grids: only the rows in view (plus a margin) are in the
 * DOM, and only the pages of items they need are fetched.
 */
export interface GridWindow {
  columns: number;
  rows: number;
  /** first and last item index to render (inclusive / exclusive) */
  start: number;
  end: number;
  /** px above the first rendered row */
  offsetTop: number;
  totalHeight: number;
}

export function gridWindow(opts: { total: number; width: number; cell: number; gap: number; scrollTop: number; viewport: number; overscanRows?: number }): GridWindow {
  const { total, cell, gap } = opts;
  const pitch = cell + gap;
  const columns = Math.max(1, Math.floor((opts.width + gap) / pitch));
  const rows = Math.ceil(total / columns);
  const over = opts.overscanRows ?? 2;
  const firstRow = Math.max(0, Math.floor(opts.scrollTop / pitch) - over);
  const lastRow = Math.min(rows, Math.ceil((opts.scrollTop + opts.viewport) / pitch) + over);
  return {
    columns,
    rows,
    start: Math.min(total, firstRow * columns),
    end: Math.min(total, lastRow * columns),
    offsetTop: firstRow * pitch,
    totalHeight: Math.max(0, rows * pitch - gap),
  };
}

/** The page numbers covering items [start, end). */
export function pagesFor(start: number, end: number, pageSize: number): number[] {
  if (end <= start) return [];
  const out: number[] = [];
  for (let p = Math.floor(start / pageSize); p <= Math.floor((end - 1) / pageSize); p++) out.push(p);
  return out;
}

/** The scrollTop that brings row `row` into a viewport, or null when it is already visible. */
export function scrollToRow(row: number, pitch: number, scrollTop: number, viewport: number): number | null {
  const top = row * pitch;
  if (top < scrollTop) return top;
  if (top + pitch > scrollTop + viewport) return top + pitch - viewport;
  return null;
}
