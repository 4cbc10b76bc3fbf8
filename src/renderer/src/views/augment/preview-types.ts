import type { AugmentPreviewDto } from '../../../../shared/api';

export type PreviewSample = AugmentPreviewDto['samples'][number];
export type PreviewView = PreviewSample['pairs'][number][number];
export type OpRecordDto = PreviewView['ops'][number];

/** The crop box an op drew, in pixels of its input, when it has one. */
export function boxOf(rec: OpRecordDto): { x: number; y: number; w: number; h: number } | null {
  const d = rec.drawn as { box?: { x: number; y: number; w: number; h: number } } | null;
  return d && d.box && typeof d.box.x === 'number' ? d.box : null;
}

/** An op's drawn values as short "key value" text: factors to 3 places, boxes as x,y w×h. */
export function describeDrawn(drawn: unknown): string {
  if (drawn === null || drawn === undefined) return '';
  if (typeof drawn !== 'object') return String(drawn);
  return Object.entries(drawn as Record<string, unknown>)
    .map(([k, v]) => `${k} ${describeValue(v)}`)
    .join(', ');
}

function describeValue(v: unknown): string {
  if (typeof v === 'number') return String(+v.toFixed(3));
  if (Array.isArray(v)) return v.map(describeValue).join('→');
  if (v && typeof v === 'object') {
    const b = v as Record<string, unknown>;
    if ('x' in b && 'y' in b && 'w' in b && 'h' in b) return `(${b.x}, ${b.y}) ${b.w}×${b.h}`;
    return `{${describeDrawn(v)}}`;
  }
  return String(v);
}
