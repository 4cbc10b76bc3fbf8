import { app, session, shell, type WebContents } from 'electron';
import { RENDERER_CSP } from '../shared/csp.js';
import { APP_HOST, APP_SCHEME } from './app-protocol.js';

/**
 * App-wide hardening, called before any window exists: every renderer is
 * sandboxed, no web contents may navigate away, open windows, attach
 * webviews or get permissions (camera, notifications...), and responses get
 * the renderer's Content-Security-Policy header (src/shared/csp.ts; the
 * app:// handler sends it too, and index.html carries a meta-tag copy).
 */
export function hardenApp(isAppUrl: (url: string) => boolean): void {
  app.enableSandbox();
  app.on('web-contents-created', (_event, contents: WebContents) => {
    contents.on('will-navigate', (e) => {
      if (!isAppUrl(e.url)) e.preventDefault();
    });
    contents.on('will-redirect', (e) => {
      if (!isAppUrl(e.url)) e.preventDefault();
    });
    contents.on('will-attach-webview', (e) => e.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      // Links to documentation open in the user's browser, never inside the app.
      if (url.startsWith('https://')) void shell.openExternal(url);
      return { action: 'deny' };
    });
  });
}

export function hardenSession(): void {
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [RENDERER_CSP] } });
  });
  // No remote content and no file:// reads: requests may only go to the app's own origin or the dev server.
  ses.webRequest.onBeforeRequest((details, callback) => {
    const url = details.url;
    const allowed = url.startsWith(APP_ORIGIN_PREFIX) || url.startsWith('devtools://') || url.startsWith('data:') || url.startsWith('blob:') || isDevServer(url);
    callback({ cancel: !allowed });
  });
}

const APP_ORIGIN_PREFIX = `${APP_SCHEME}://${APP_HOST}/`;

function isDevServer(url: string): boolean {
  const dev = process.env.ELECTRON_RENDERER_URL;
  if (!dev) return false;
  try {
    const u = new URL(url);
    return u.origin === new URL(dev).origin || (u.protocol === 'ws:' && u.host === new URL(dev).host);
  } catch {
    return false;
  }
}
