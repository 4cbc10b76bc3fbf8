/**
 * WebGL2 point renderer: one draw call per atlas sheet (one in all for plain
 * dots). Positions and colours live in GPU buffers uploaded once per scene;
 * a new view only changes three uniforms. Round dots are cut out of point
 * sprites in the fragment shader; in sprite mode each point samples its own
 * cell of the sheet.
 *
 * Panning moves the picture without changing it, so the points are drawn
 * into an offscreen texture with a margin around the visible area, and a pan
 * only shifts that texture (one quad); the points are drawn again when the
 * zoom or the scene changes or the pan leaves the margin. On Chromium's
 * software rasteriser (no GPU) that is the difference between ~16 ms and
 * well under 1 ms a frame for 10,000 points (bench/projector.ts).
 */
import type { PointRenderer, PointScene } from './points';
import type { View } from './scatter';

const VS = `#version 300 es
in vec2 a_pos;
in vec4 a_color;
in vec3 a_cell;  // x, y of the cell in sheet pixels, sheet index
uniform vec3 u_view;  // k, ox, oy (CSS px)
uniform vec2 u_res;   // canvas size in CSS px
uniform float u_size; // point diameter in device px
uniform float u_sheet; // sheet drawn in this pass, -1 for dots
out vec4 v_color;
out vec2 v_cell;
void main() {
  vec2 s = vec2(u_view.y + a_pos.x * u_view.x, u_view.z - a_pos.y * u_view.x);
  gl_Position = vec4(s.x / u_res.x * 2.0 - 1.0, 1.0 - s.y / u_res.y * 2.0, 0.0, 1.0);
  bool skip = a_color.a == 0.0 || (u_sheet >= 0.0 && abs(a_cell.z - u_sheet) > 0.5);
  gl_PointSize = skip ? 0.0 : u_size;
  v_color = a_color;
  v_cell = a_cell.xy;
}`;

const FS = `#version 300 es
precision highp float;
in vec4 v_color;
in vec2 v_cell;
uniform float u_sheet;
uniform sampler2D u_tex;
uniform vec2 u_texSize;
uniform float u_cellSize;
out vec4 o;
void main() {
  if (u_sheet < 0.0) {
    vec2 d = gl_PointCoord - 0.5;
    if (dot(d, d) > 0.25) discard;
    o = vec4(v_color.rgb * v_color.a, v_color.a);
  } else {
    vec2 uv = (v_cell + gl_PointCoord * u_cellSize) / u_texSize;
    vec4 t = texture(u_tex, uv);
    o = vec4(t.rgb * v_color.a, v_color.a);
  }
}`;

const BLIT_VS = `#version 300 es
in vec2 a_xy;  // unit quad corner
uniform vec4 u_rect;  // x, y, w, h of the cached picture in clip space
out vec2 v_uv;
void main() {
  v_uv = a_xy;
  gl_Position = vec4(u_rect.xy + a_xy * u_rect.zw, 0.0, 1.0);
}`;

const BLIT_FS = `#version 300 es
precision highp float;
in vec2 v_uv;
uniform sampler2D u_tex;
out vec4 o;
void main() { o = texture(u_tex, v_uv); }`;

function compile(gl: WebGL2RenderingContext, type: number, src: string): WebGLShader {
  const s = gl.createShader(type)!;
  gl.shaderSource(s, src);
  gl.compileShader(s);
  if (!gl.getShaderParameter(s, gl.COMPILE_STATUS)) throw new Error(`WebGL shader: ${gl.getShaderInfoLog(s)}`);
  return s;
}

function link(gl: WebGL2RenderingContext, vs: string, fs: string): WebGLProgram {
  const prog = gl.createProgram()!;
  gl.attachShader(prog, compile(gl, gl.VERTEX_SHADER, vs));
  gl.attachShader(prog, compile(gl, gl.FRAGMENT_SHADER, fs));
  gl.linkProgram(prog);
  if (!gl.getProgramParameter(prog, gl.LINK_STATUS)) throw new Error(`WebGL program: ${gl.getProgramInfoLog(prog)}`);
  return prog;
}

/** The offscreen picture: what view it was drawn for and how far it reaches past the canvas. */
interface Cache {
  fbo: WebGLFramebuffer;
  tex: WebGLTexture;
  /** texture size in device pixels */
  w: number;
  h: number;
  /** margin on each side, CSS pixels */
  mx: number;
  my: number;
  view: View | null;
  width: number;
  height: number;
  dpr: number;
}

export class GlPoints implements PointRenderer {
  readonly kind = 'webgl2' as const;
  private gl: WebGL2RenderingContext;
  private prog: WebGLProgram;
  private vao: WebGLVertexArrayObject;
  private pos: WebGLBuffer;
  private col: WebGLBuffer;
  private cell: WebGLBuffer;
  private textures: { tex: WebGLTexture; w: number; h: number }[] = [];
  private scene: PointScene | null = null;
  private u: Record<string, WebGLUniformLocation | null> = {};
  private blit: WebGLProgram;
  private blitRect: WebGLUniformLocation | null;
  private quad: WebGLVertexArrayObject;
  private cache: Cache | null = null;

  /** Throws when the canvas cannot give a WebGL2 context (the caller falls back to Canvas2D). */
  constructor(private canvas: HTMLCanvasElement) {
    // No preserveDrawingBuffer (it costs a copy every frame): saving the view as PNG draws first, in the same task.
    const gl = canvas.getContext('webgl2', { antialias: false, premultipliedAlpha: true, preserveDrawingBuffer: false });
    if (!gl) throw new Error('WebGL2 is not available');
    this.gl = gl;
    const prog = link(gl, VS, FS);
    this.prog = prog;
    this.blit = link(gl, BLIT_VS, BLIT_FS);
    this.blitRect = gl.getUniformLocation(this.blit, 'u_rect');
    this.quad = gl.createVertexArray()!;
    gl.bindVertexArray(this.quad);
    const qb = gl.createBuffer()!;
    gl.bindBuffer(gl.ARRAY_BUFFER, qb);
    gl.bufferData(gl.ARRAY_BUFFER, new Float32Array([0, 0, 1, 0, 0, 1, 1, 1]), gl.STATIC_DRAW);
    const ql = gl.getAttribLocation(this.blit, 'a_xy');
    gl.enableVertexAttribArray(ql);
    gl.vertexAttribPointer(ql, 2, gl.FLOAT, false, 0, 0);
    gl.bindVertexArray(null);
    for (const name of ['u_view', 'u_res', 'u_size', 'u_sheet', 'u_tex', 'u_texSize', 'u_cellSize']) this.u[name] = gl.getUniformLocation(prog, name);
    this.vao = gl.createVertexArray()!;
    this.pos = gl.createBuffer()!;
    this.col = gl.createBuffer()!;
    this.cell = gl.createBuffer()!;
    gl.bindVertexArray(this.vao);
    const attr = (buf: WebGLBuffer, name: string, size: number, type: number, normalized: boolean) => {
      const loc = gl.getAttribLocation(prog, name);
      gl.bindBuffer(gl.ARRAY_BUFFER, buf);
      gl.enableVertexAttribArray(loc);
      gl.vertexAttribPointer(loc, size, type, normalized, 0, 0);
    };
    attr(this.pos, 'a_pos', 2, gl.FLOAT, false);
    attr(this.col, 'a_color', 4, gl.UNSIGNED_BYTE, true);
    attr(this.cell, 'a_cell', 3, gl.FLOAT, false);
    gl.bindVertexArray(null);
  }

  setScene(scene: PointScene): void {
    const gl = this.gl;
    const n = scene.coords.length >> 1;
    const prev = this.scene;
    if (prev?.coords !== scene.coords) {
      gl.bindBuffer(gl.ARRAY_BUFFER, this.pos);
      gl.bufferData(gl.ARRAY_BUFFER, scene.coords, gl.STATIC_DRAW);
    }
    if (prev?.colors !== scene.colors) {
      gl.bindBuffer(gl.ARRAY_BUFFER, this.col);
      gl.bufferData(gl.ARRAY_BUFFER, scene.colors, gl.DYNAMIC_DRAW);
    }
    if (prev?.sprites !== scene.sprites) {
      const cells = new Float32Array(n * 3);
      const sp = scene.sprites;
      if (sp) {
        for (let i = 0; i < n; i++) {
          cells[3 * i] = sp.cellX[i]!;
          cells[3 * i + 1] = sp.cellY[i]!;
          cells[3 * i + 2] = sp.sheet[i]!;
        }
      }
      gl.bindBuffer(gl.ARRAY_BUFFER, this.cell);
      gl.bufferData(gl.ARRAY_BUFFER, cells, gl.STATIC_DRAW);
      for (const t of this.textures) gl.deleteTexture(t.tex);
      this.textures = (sp?.sheets ?? []).map((img) => {
        const tex = gl.createTexture()!;
        gl.bindTexture(gl.TEXTURE_2D, tex);
        gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA, gl.RGBA, gl.UNSIGNED_BYTE, img);
        gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.LINEAR);
        gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.NEAREST);
        gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
        gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
        return { tex, w: img.width, h: img.height };
      });
    }
    if (prev && (prev.coords !== scene.coords || prev.colors !== scene.colors || prev.sprites !== scene.sprites || prev.size !== scene.size) && this.cache) this.cache.view = null;
    this.scene = scene;
  }

  draw(view: View, width: number, height: number, dpr: number): void {
    const gl = this.gl;
    const w = Math.round(width * dpr);
    const h = Math.round(height * dpr);
    if (this.canvas.width !== w || this.canvas.height !== h) {
      this.canvas.width = w;
      this.canvas.height = h;
    }
    const c = this.ensureCache(width, height, dpr);
    const v = c.view;
    const dx = v ? view.ox - v.ox : 0;
    const dy = v ? view.oy - v.oy : 0;
    if (!v || v.k !== view.k || Math.abs(dx) > c.mx || Math.abs(dy) > c.my) {
      // draw the points afresh, centred in the cache
      const cv = { k: view.k, ox: view.ox + c.mx, oy: view.oy + c.my };
      gl.bindFramebuffer(gl.FRAMEBUFFER, c.fbo);
      gl.viewport(0, 0, c.w, c.h);
      gl.clearColor(0, 0, 0, 0);
      gl.clear(gl.COLOR_BUFFER_BIT);
      this.drawPoints(cv, width + 2 * c.mx, height + 2 * c.my, dpr);
      gl.bindFramebuffer(gl.FRAMEBUFFER, null);
      c.view = { ...view };
    }
    const sx = view.ox - c.view!.ox;
    const sy = view.oy - c.view!.oy;
    gl.viewport(0, 0, w, h);
    gl.clearColor(0, 0, 0, 0);
    gl.clear(gl.COLOR_BUFFER_BIT);
    gl.disable(gl.BLEND);
    gl.useProgram(this.blit);
    gl.activeTexture(gl.TEXTURE0);
    gl.bindTexture(gl.TEXTURE_2D, c.tex);
    // the cache's top-left corner sits at (sx - mx, sy - my) CSS px; texture row 0 is the bottom
    const fw = (width + 2 * c.mx) / width;
    const fh = (height + 2 * c.my) / height;
    const left = ((sx - c.mx) / width) * 2 - 1;
    const bottom = 1 - ((sy - c.my) / height) * 2 - fh * 2;
    gl.uniform4f(this.blitRect, left, bottom, fw * 2, fh * 2);
    gl.bindVertexArray(this.quad);
    gl.drawArrays(gl.TRIANGLE_STRIP, 0, 4);
    gl.bindVertexArray(null);
  }

  private ensureCache(width: number, height: number, dpr: number): Cache {
    const gl = this.gl;
    const c = this.cache;
    if (c && c.width === width && c.height === height && c.dpr === dpr) return c;
    if (c) {
      gl.deleteFramebuffer(c.fbo);
      gl.deleteTexture(c.tex);
    }
    // margins of half the canvas on each side, as far as the texture size limit allows
    const max = gl.getParameter(gl.MAX_TEXTURE_SIZE) as number;
    const mx = Math.max(0, Math.min(width / 2, Math.floor((max / dpr - width) / 2)));
    const my = Math.max(0, Math.min(height / 2, Math.floor((max / dpr - height) / 2)));
    const w = Math.round((width + 2 * mx) * dpr);
    const h = Math.round((height + 2 * my) * dpr);
    const tex = gl.createTexture()!;
    gl.bindTexture(gl.TEXTURE_2D, tex);
    gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA, w, h, 0, gl.RGBA, gl.UNSIGNED_BYTE, null);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.NEAREST);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.NEAREST);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
    const fbo = gl.createFramebuffer()!;
    gl.bindFramebuffer(gl.FRAMEBUFFER, fbo);
    gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D, tex, 0);
    gl.bindFramebuffer(gl.FRAMEBUFFER, null);
    this.cache = { fbo, tex, w, h, mx, my, view: null, width, height, dpr };
    return this.cache;
  }

  private drawPoints(view: View, width: number, height: number, dpr: number): void {
    const gl = this.gl;
    const s = this.scene;
    if (!s) return;
    const n = s.coords.length >> 1;
    gl.useProgram(this.prog);
    gl.enable(gl.BLEND);
    gl.blendFunc(gl.ONE, gl.ONE_MINUS_SRC_ALPHA);
    gl.uniform3f(this.u.u_view!, view.k, view.ox, view.oy);
    gl.uniform2f(this.u.u_res!, width, height);
    gl.uniform1f(this.u.u_size!, Math.max(1, s.size * dpr));
    gl.bindVertexArray(this.vao);
    if (s.sprites && this.textures.length) {
      gl.uniform1f(this.u.u_cellSize!, s.sprites.cellSize);
      gl.uniform1i(this.u.u_tex!, 0);
      gl.activeTexture(gl.TEXTURE0);
      this.textures.forEach((t, k) => {
        gl.bindTexture(gl.TEXTURE_2D, t.tex);
        gl.uniform2f(this.u.u_texSize!, t.w, t.h);
        gl.uniform1f(this.u.u_sheet!, k);
        gl.drawArrays(gl.POINTS, 0, n);
      });
    } else {
      gl.uniform1f(this.u.u_sheet!, -1);
      gl.drawArrays(gl.POINTS, 0, n);
    }
    gl.bindVertexArray(null);
  }

  dispose(): void {
    const gl = this.gl;
    if (this.cache) {
      gl.deleteFramebuffer(this.cache.fbo);
      gl.deleteTexture(this.cache.tex);
    }
    gl.deleteProgram(this.blit);
    gl.deleteVertexArray(this.quad);
    for (const t of this.textures) gl.deleteTexture(t.tex);
    gl.deleteBuffer(this.pos);
    gl.deleteBuffer(this.col);
    gl.deleteBuffer(this.cell);
    gl.deleteVertexArray(this.vao);
    gl.deleteProgram(this.prog);
  }
}
