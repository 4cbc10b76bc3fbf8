import { app, session, shell, type WebContents } from 'electron';

/** The renderer's policy: only its own files, no remote scripts, no framing, no plugins. */
export const RENDERER_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * App-wide hardening, called before any window exists: every renderer is
 * sandboxed, no web contents may navigate away, open windows, attach
 * webviews or get permissions (camera, notifications...), and responses get
 * a strict Content-Security-Policy header (index.html also carries it as a
 * meta tag, for file:// loads that have no headers).
 */
export function hardenApp(isAppUrl: (url: string) => boolean): void {
  app.enableSandbox();
  app.on('web-contents-created', (_event, contents: WebContents) => {
    contents.on('will-navigate', (e, url) => {
      if (!isAppUrl(url)) e.preventDefault();
    });
    contents.on('will-redirect', (e, url) => {
      if (!isAppUrl(url)) e.preventDefault();
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
  // No remote content: requests may only go to the app's own files or the dev server.
  ses.webRequest.onBeforeRequest((details, callback) => {
    const url = details.url;
    const allowed = url.startsWith('file://') || url.startsWith('devtools://') || url.startsWith('data:') || url.startsWith('blob:') || isDevServer(url);
    callback({ cancel: !allowed });
  });
}

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
