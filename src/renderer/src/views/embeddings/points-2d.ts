/**
 * Canvas2D point renderer: the fallback where WebGL2 is missing, and the
 * peer the projector bench measures the WebGL path against. Dots are batched
 * into one path per colour (far fewer state changes than a fill per point);
 * sprites are one drawImage per point.
 */
import type { PointRenderer, PointScene } from './points';
import type { View } from './scatter';

export class CanvasPoints implements PointRenderer {
  readonly kind = 'canvas2d' as const;
  private scene: PointScene | null = null;
  /** points grouped by RGBA, rebuilt when the colours change */
  private groups: { style: string; alpha: number; points: number[] }[] = [];

  constructor(private canvas: HTMLCanvasElement) {}

  setScene(scene: PointScene): void {
    if (scene.colors !== this.scene?.colors) {
      const map = new Map<number, { style: string; alpha: number; points: number[] }>();
      const c = scene.colors;
      for (let i = 0; i < c.length >> 2; i++) {
        if (c[4 * i + 3] === 0) continue;
        const key = ((c[4 * i]! << 24) | (c[4 * i + 1]! << 16) | (c[4 * i + 2]! << 8) | c[4 * i + 3]!) >>> 0;
        let g = map.get(key);
        if (!g) map.set(key, (g = { style: `rgb(${c[4 * i]},${c[4 * i + 1]},${c[4 * i + 2]})`, alpha: c[4 * i + 3]! / 255, points: [] }));
        g.points.push(i);
      }
      this.groups = [...map.values()];
    }
    this.scene = scene;
  }

  draw(view: View, width: number, height: number, dpr: number): void {
    const w = Math.round(width * dpr);
    const h = Math.round(height * dpr);
    if (this.canvas.width !== w || this.canvas.height !== h) {
      this.canvas.width = w;
      this.canvas.height = h;
    }
    const ctx = this.canvas.getContext('2d')!;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);
    const s = this.scene;
    if (!s) return;
    const { coords } = s;
    const r = s.size / 2;
    const sp = s.sprites;
    for (const g of this.groups) {
      ctx.globalAlpha = g.alpha;
      if (sp) {
        for (const i of g.points) {
          const x = view.ox + coords[2 * i]! * view.k;
          const y = view.oy - coords[2 * i + 1]! * view.k;
          if (x < -r || y < -r || x > width + r || y > height + r) continue;
          const img = sp.sheets[sp.sheet[i]!];
          if (img) ctx.drawImage(img, sp.cellX[i]!, sp.cellY[i]!, sp.cellSize, sp.cellSize, x - r, y - r, s.size, s.size);
        }
        continue;
      }
      ctx.fillStyle = g.style;
      ctx.beginPath();
      for (const i of g.points) {
        const x = view.ox + coords[2 * i]! * view.k;
        const y = view.oy - coords[2 * i + 1]! * view.k;
        if (x < -r || y < -r || x > width + r || y > height + r) continue;
        ctx.moveTo(x + r, y);
        ctx.arc(x, y, r, 0, Math.PI * 2);
      }
      ctx.fill();
    }
    ctx.globalAlpha = 1;
  }

  dispose(): void {
    this.groups = [];
    this.scene = null;
  }
}

