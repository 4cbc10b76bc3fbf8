/**
 * Geometry of the embedding scatter: fitting the points to the canvas,
 * finding the point under the pointer, and box / lasso selection. Plain
 * functions over the flat coordinate array (x0, y0, x1, y1, ...), so they
 * are cheap for tens of thousands of points and easy to test.
 */
export interface View {
  /** data -> screen: sx = ox + x * k, sy = oy - y * k (y grows upwards in data) */
  k: number;
  ox: number;
  oy: number;
}

/** Scale and offset that fit every point into width x height with `pad` pixels to spare, aspect kept. */
export function fitView(coords: ArrayLike<number>, width: number, height: number, pad = 16): View {
  let minX = Infinity;
  let maxX = -Infinity;
  let minY = Infinity;
  let maxY = -Infinity;
  for (let i = 0; i + 1 < coords.length; i += 2) {
    const x = coords[i]!;
    const y = coords[i + 1]!;
    if (x < minX) minX = x;
    if (x > maxX) maxX = x;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
  }
  if (!Number.isFinite(minX)) return { k: 1, ox: width / 2, oy: height / 2 };
  const spanX = Math.max(maxX - minX, 1e-9);
  const spanY = Math.max(maxY - minY, 1e-9);
  const k = Math.min((width - 2 * pad) / spanX, (height - 2 * pad) / spanY);
  const cx = (minX + maxX) / 2;
  const cy = (minY + maxY) / 2;
  return { k, ox: width / 2 - cx * k, oy: height / 2 + cy * k };
}

export function toScreen(v: View, x: number, y: number): [number, number] {
  return [v.ox + x * v.k, v.oy - y * v.k];
}

/** The visible point nearest to (sx, sy) within `radius` pixels, or -1. */
export function nearestPoint(coords: ArrayLike<number>, v: View, sx: number, sy: number, radius: number, visible: (i: number) => boolean): number {
  let best = -1;
  let bestD = radius * radius;
  const n = coords.length >> 1;
  for (let i = 0; i < n; i++) {
    if (!visible(i)) continue;
    const dx = v.ox + coords[2 * i]! * v.k - sx;
    const dy = v.oy - coords[2 * i + 1]! * v.k - sy;
    const d = dx * dx + dy * dy;
    if (d <= bestD) {
      bestD = d;
      best = i;
    }
  }
  return best;
}

/** Points inside the screen rectangle spanned by two corners. */
export function pointsInBox(coords: ArrayLike<number>, v: View, a: [number, number], b: [number, number], visible: (i: number) => boolean): number[] {
  const [x0, x1] = [Math.min(a[0], b[0]), Math.max(a[0], b[0])];
  const [y0, y1] = [Math.min(a[1], b[1]), Math.max(a[1], b[1])];
  const out: number[] = [];
  const n = coords.length >> 1;
  for (let i = 0; i < n; i++) {
    if (!visible(i)) continue;
    const [sx, sy] = toScreen(v, coords[2 * i]!, coords[2 * i + 1]!);
    if (sx >= x0 && sx <= x1 && sy >= y0 && sy <= y1) out.push(i);
  }
  return out;
}

/** Even-odd rule: is (x, y) inside the polygon? */
export function insidePolygon(poly: readonly [number, number][], x: number, y: number): boolean {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i]!;
    const [xj, yj] = poly[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Points inside a lasso drawn in screen pixels. */
export function pointsInLasso(coords: ArrayLike<number>, v: View, poly: readonly [number, number][], visible: (i: number) => boolean): number[] {
  if (poly.length < 3) return [];
  let minX = Infinity;
  let maxX = -Infinity;
  let minY = Infinity;
  let maxY = -Infinity;
  for (const [x, y] of poly) {
    minX = Math.min(minX, x);
    maxX = Math.max(maxX, x);
    minY = Math.min(minY, y);
    maxY = Math.max(maxY, y);
  }
  const out: number[] = [];
  const n = coords.length >> 1;
  for (let i = 0; i < n; i++) {
    if (!visible(i)) continue;
    const [sx, sy] = toScreen(v, coords[2 * i]!, coords[2 * i + 1]!);
    if (sx < minX || sx > maxX || sy < minY || sy > maxY) continue;
    if (insidePolygon(poly, sx, sy)) out.push(i);
  }
  return out;
}

/** The view zoomed by `factor` about the screen point (sx, sy), which stays where it is. */
export function zoomAt(v: View, sx: number, sy: number, factor: number): View {
  const k = v.k * factor;
  return { k, ox: sx - (sx - v.ox) * factor, oy: sy - (sy - v.oy) * factor };
}

/** The view moved by (dx, dy) screen pixels. */
export function panBy(v: View, dx: number, dy: number): View {
  return { k: v.k, ox: v.ox + dx, oy: v.oy + dy };
}

/** Screen -> data. */
export function toData(v: View, sx: number, sy: number): [number, number] {
  return [(sx - v.ox) / v.k, (v.oy - sy) / v.k];
}

/** fitView of just the points `subset` (a single point gets a view of the span/20 around it). */
export function fitPoints(coords: ArrayLike<number>, subset: readonly number[], width: number, height: number, pad = 40): View {
  const xy: number[] = [];
  for (const i of subset) xy.push(coords[2 * i]!, coords[2 * i + 1]!);
  if (subset.length === 1) {
    const all = fitView(coords, width, height);
    const k = all.k * 20;
    return { k, ox: width / 2 - xy[0]! * k, oy: height / 2 + xy[1]! * k };
  }
  return fitView(xy, width, height, pad);
}
