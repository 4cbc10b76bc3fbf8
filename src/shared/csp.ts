/**
 * The renderer's Content-Security-Policy, defined once: the Electron app:// protocol
 * handler (src/main/app-protocol.ts) and the HTTP server (src/server/serve.ts) both send
 * it, so the page runs under the same rules in the app and in a browser. Only the page's
 * own origin may serve scripts, styles, images and connections; no plugins, no <base>,
 * no form posts, no framing. `connectSrc` adds sources a transport needs (server mode:
 * its own WebSocket, ws://host:port, which 'self' does not cover in every browser).
 */
const DIRECTIVES: ReadonlyArray<readonly [string, string]> = [
  ['default-src', "'self'"],
  ['script-src', "'self'"],
  // Svelte components set inline style attributes (transitions, computed sizes).
  ['style-src', "'self' 'unsafe-inline'"],
  // thumbnails and atlases arrive as data: URLs and blobs
  ['img-src', "'self' data: blob:"],
  ['connect-src', "'self'"],
  ['object-src', "'none'"],
  ['base-uri', "'none'"],
  ['form-action', "'none'"],
  ['frame-ancestors', "'none'"],
];

export function rendererCsp(connectSrc: readonly string[] = []): string {
  return DIRECTIVES.map(([name, value]) => (name === 'connect-src' && connectSrc.length ? `${name} ${value} ${connectSrc.join(' ')}` : `${name} ${value}`)).join('; ');
}

/** The policy with no extra connection sources (the desktop app). */
export const RENDERER_CSP = rendererCsp();
