import fs from 'node:fs/promises';
import path from 'node:path';
import { RENDERER_CSP } from '../shared/csp.js';
import { RENDERER_MIME as MIME } from '../shared/mime.js';

/**
 * The renderer is served from app://workbench/ instead of file://, so it has a
 * real origin: the CSP's 'self', the IPC trust check and the navigation rules
 * mean the same thing as in server mode, and no page can read other local
 * files through file:// URLs. Resolution is a pure function (tested without
 * Electron); src/main/index.ts registers the scheme and the handler.
 */
export const APP_SCHEME = 'app';
export const APP_HOST = 'workbench';
export const APP_INDEX_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;

/** Registered before `ready` (protocol.registerSchemesAsPrivileged): a standard, secure scheme with fetch. */
export const APP_SCHEME_PRIVILEGES = { standard: true, secure: true, supportFetchAPI: true, codeCache: true } as const;

export type Resolved = { ok: true; file: string } | { ok: false; status: 400 | 404; reason: string };

/** True when `url` is on this app's origin (scheme and host; Node reports non-special origins as "null"). */
export function isAppUrl(url: URL): boolean {
  return url.protocol === `${APP_SCHEME}:` && url.host === APP_HOST;
}

/**
 * The file under `root` an app:// URL names, by its path alone: the query and
 * fragment are ignored, `/` is index.html. Refused: another host, encoded
 * separators or NUL (%2F, %5C, %00), backslashes, bad escapes, and anything that
 * would resolve outside `root`. Symlinks are checked separately (appFileInside).
 */
export function resolveAppPath(root: string, rawUrl: string): Resolved {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    return { ok: false, status: 400, reason: `not a URL: ${rawUrl}` };
  }
  if (!isAppUrl(url)) return { ok: false, status: 404, reason: `not an ${APP_SCHEME}://${APP_HOST}/ URL: ${rawUrl}` };
  const raw = url.pathname;
  // The URL parser already removed "." and ".." segments; encoded ones and separators are refused here.
  if (/%(2f|5c|00)/i.test(raw) || raw.includes('\\')) return { ok: false, status: 400, reason: `encoded separator or NUL in ${raw}` };
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return { ok: false, status: 400, reason: `bad percent-encoding in ${raw}` };
  }
  const segments = decoded.split('/').filter((s) => s !== '');
  if (segments.some((s) => s === '..' || s === '.')) return { ok: false, status: 400, reason: `dot segment in ${raw}` };
  const rel = segments.length === 0 ? 'index.html' : segments.join(path.sep);
  const base = path.resolve(root);
  const file = path.resolve(base, rel);
  const inside = path.relative(base, file);
  if (inside === '' || inside.startsWith('..') || path.isAbsolute(inside)) return { ok: false, status: 400, reason: `${raw} is outside the renderer folder` };
  return { ok: true, file };
}

export interface FsLike {
  realpath(p: string): Promise<string>;
  stat(p: string): Promise<{ isFile(): boolean }>;
  readFile(p: string): Promise<Buffer>;
}

/**
 * The file's bytes when it is a regular file whose real path (symlinks
 * followed) is still inside the real `root`; null otherwise (missing, a
 * folder, or a link that points out).
 */
export async function appFileInside(root: string, file: string, io: FsLike = fs): Promise<Buffer | null> {
  try {
    const [realRoot, realFile] = await Promise.all([io.realpath(root), io.realpath(file)]);
    const rel = path.relative(realRoot, realFile);
    if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return null;
    if (!(await io.stat(realFile)).isFile()) return null;
    return await io.readFile(realFile);
  } catch {
    return null;
  }
}

/** Headers on every app:// answer: the one CSP, no MIME sniffing, no framing, no caching of stale builds. */
export function appHeaders(contentType: string): Record<string, string> {
  return {
    'content-type': contentType,
    'content-security-policy': RENDERER_CSP,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-cache',
  };
}

/** The protocol.handle('app', ...) handler over the built renderer folder (out/renderer). */
export function appProtocolHandler(root: string, io: FsLike = fs, log: (line: string) => void = () => {}): (request: Request) => Promise<Response> {
  const text = (status: number, body: string) => new Response(body, { status, headers: appHeaders('text/plain; charset=utf-8') });
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return text(405, `${request.method} is not allowed`);
    const r = resolveAppPath(root, request.url);
    if (!r.ok) {
      log(`app protocol: ${r.status} ${r.reason}`);
      return text(r.status, r.reason);
    }
    const body = await appFileInside(root, r.file, io);
    if (!body) return text(404, `not found: ${new URL(request.url).pathname}`);
    const type = MIME[path.extname(r.file).toLowerCase()] ?? 'application/octet-stream';
    return new Response(request.method === 'HEAD' ? null : new Uint8Array(body), { status: 200, headers: appHeaders(type) });
  };
}
