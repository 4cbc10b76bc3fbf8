/**
 * Chart.js, registered once with only the pieces the app draws (tree-shaken),
 * and colours taken from the theme's CSS variables so charts follow it.
 */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  Tooltip,
} from 'chart.js';

Chart.register(BarController, BarElement, CategoryScale, Filler, Legend, LinearScale, LineController, LineElement, LogarithmicScale, PointElement, Tooltip);

export { Chart };

/** Ten distinguishable colours (classes, runs), readable on both themes. */
export const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

/** Colour for class/run i; beyond ten, hues spread around the wheel. */
export function colorFor(i: number): string {
  if (i < PALETTE.length) return PALETTE[i]!;
  return `hsl(${Math.round((i * 137.508) % 360)}, 55%, 55%)`;
}

export interface ThemeColors {
  fg: string;
  muted: string;
  grid: string;
  accent: string;
}

export function themeColors(el: Element = document.documentElement): ThemeColors {
  const css = getComputedStyle(el);
  const v = (name: string, dflt: string) => css.getPropertyValue(name).trim() || dflt;
  return { fg: v('--fg', '#222'), muted: v('--fg-muted', '#666'), grid: v('--border', '#ddd'), accent: v('--accent', '#2f6fde') };
}

/** At most `max` points, evenly spaced, always keeping the last (long runs stay fast to draw). */
export function downsample<T>(points: readonly T[], max = 800): T[] {
  if (points.length <= max) return points.slice();
  const step = points.length / max;
  const out: T[] = [];
  for (let i = 0; i < max - 1; i++) out.push(points[Math.floor(i * step)]!);
  out.push(points[points.length - 1]!);
  return out;
}

/**
 * A run's points split where x stops increasing: a resumed or retried run
 * starts counting steps again, and joining its attempts draws a zigzag.
 * Each attempt becomes its own segment.
 */
export function splitAttempts<T extends readonly [number, number]>(points: readonly T[]): T[][] {
  const out: T[][] = [];
  let current: T[] = [];
  for (const p of points) {
    const last = current[current.length - 1];
    if (last && p[0] <= last[0]) {
      out.push(current);
      current = [];
    }
    current.push(p);
  }
  if (current.length) out.push(current);
  return out;
}
