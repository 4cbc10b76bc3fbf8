import type { ApiEnvelope, ApiEvent } from '../shared/api.js';
import { EVENT_CHANNEL, INVOKE_CHANNEL } from '../shared/api-methods.js';

/**
 * IPC handlers as plain functions, so they run (and are tested) without
 * Electron: only the two small `register`/`forward` helpers touch Electron
 * objects, and they take them as parameters.
 */

/** The part of Electron's IpcMainInvokeEvent the handler reads. */
export interface InvokeEventLike {
  senderFrame: { url: string } | null;
}

/** The API service as IPC needs it. */
export interface ApiCaller {
  call(method: unknown, payload: unknown): Promise<ApiEnvelope>;
}

/** The same body limit as the HTTP transport (1 MiB of JSON). */
export const MAX_IPC_PAYLOAD_BYTES = 1024 * 1024;

/**
 * Which pages may call the API: the app's index page — app://workbench/index.html
 * (or `/`) in the packaged app, or a file:// index.html given by pathname — or,
 * in development, the electron-vite dev server's origin. Anything else — a
 * navigated-away frame, an iframe of remote content, another app:// host — is refused.
 */
export function trustedRenderer(opts: { rendererIndexUrl: string; devServerUrl?: string | undefined }): (url: string) => boolean {
  const indexUrl = new URL(opts.rendererIndexUrl);
  const devOrigin = opts.devServerUrl ? new URL(opts.devServerUrl).origin : null;
  return (raw) => {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return false;
    }
    if (url.protocol === indexUrl.protocol) {
      if (url.protocol === 'file:') return url.pathname === indexUrl.pathname;
      // a custom scheme's origin is "null" to the URL parser: compare scheme (above) and host
      if (url.host !== indexUrl.host) return false;
      return url.pathname === indexUrl.pathname || url.pathname === '/';
    }
    return devOrigin !== null && url.origin === devOrigin;
  };
}

function payloadSize(payload: unknown): number | null {
  try {
    return Buffer.byteLength(JSON.stringify(payload ?? null) ?? '', 'utf8');
  } catch {
    return null; // cyclic or not JSON (a function, a BigInt)
  }
}

/**
 * Changes a renderer may not make over IPC, because they widen what the
 * engine may read: the data root (every path under it is readable). The main
 * process changes it after the user picks a folder in its own dialog (File >
 * Choose Data Folder…), calling the service directly.
 */
export function mainOnlyChange(method: unknown, payload: unknown): ApiEnvelope | null {
  if (method !== 'settings.set' || payload === null || typeof payload !== 'object') return null;
  const patch = (payload as { patch?: unknown }).patch;
  if (patch === null || typeof patch !== 'object' || !Object.prototype.hasOwnProperty.call(patch, 'dataRoot')) return null;
  const message = 'settings.set: patch.dataRoot can only be changed with the app\'s folder dialog (File > Choose Data Folder…), not by the page';
  return { ok: false, error: { code: 'forbidden', message, issues: [{ path: 'patch.dataRoot', message: 'use File > Choose Data Folder…' }] } };
}

/** ipcMain.handle(INVOKE_CHANNEL, handler): (event, method, payload) -> ApiEnvelope. Never throws. */
export function createInvokeHandler(service: ApiCaller, isTrusted: (url: string) => boolean) {
  return async (event: InvokeEventLike, method: unknown, payload: unknown): Promise<ApiEnvelope> => {
    const url = event.senderFrame?.url ?? '';
    if (!isTrusted(url)) return { ok: false, error: { code: 'forbidden', message: `API call from an untrusted page refused (${url || 'unknown frame'})` } };
    const size = payloadSize(payload);
    if (size === null) return { ok: false, error: { code: 'bad_request', message: `${String(method)}: the request is not plain JSON data` } };
    if (size > MAX_IPC_PAYLOAD_BYTES) return { ok: false, error: { code: 'payload_too_large', message: `the request body is over ${MAX_IPC_PAYLOAD_BYTES} bytes` } };
    return mainOnlyChange(method, payload) ?? service.call(method, payload);
  };
}

export interface IpcMainLike<E extends InvokeEventLike> {
  handle(channel: string, listener: (event: E, ...args: any[]) => unknown): void; // eslint-disable-line @typescript-eslint/no-explicit-any
  removeHandler(channel: string): void;
}

export function registerInvokeHandler<E extends InvokeEventLike>(ipcMain: IpcMainLike<E>, handler: ReturnType<typeof createInvokeHandler>): () => void {
  ipcMain.handle(INVOKE_CHANNEL, (event: E, method: unknown, payload: unknown) => handler(event, method, payload));
  return () => ipcMain.removeHandler(INVOKE_CHANNEL);
}

export interface WebContentsLike {
  isDestroyed(): boolean;
  send(channel: string, ...args: unknown[]): void;
}

/** Send every API event to every live window. */
export function forwardEvents(subscribe: (l: (e: ApiEvent) => void) => () => void, targets: () => WebContentsLike[]): () => void {
  return subscribe((event) => {
    for (const wc of targets()) if (!wc.isDestroyed()) wc.send(EVENT_CHANNEL, event);
  });
}
