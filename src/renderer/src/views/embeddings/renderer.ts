import { CanvasPoints } from './points-2d';
import { GlPoints } from './points-gl';
import type { PointRenderer } from './points';

/**
 * WebGL2 when the browser has it, else Canvas2D. (A canvas keeps the first
 * kind of context it gave out: where WebGL2 is refused, getContext returned
 * null and the canvas is still free for a 2-D context.)
 */
export function createRenderer(canvas: HTMLCanvasElement, prefer: 'auto' | 'canvas2d' = 'auto'): PointRenderer {
  if (prefer === 'auto') {
    try {
      return new GlPoints(canvas);
    } catch {
      // no WebGL2 (or shaders the driver refuses): draw with Canvas2D
    }
  }
  return new CanvasPoints(canvas);
}
