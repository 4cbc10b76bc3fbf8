import { timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { EVENTS_PATH, TOKEN_HEADER, type ApiEnvelope, type ApiEvent, type ErrorCode } from '../shared/api.js';
import { JobHost } from '../engine/jobs/host.js';
import { nodeLauncher, type NodeWorkerEntry } from '../engine/jobs/node-launcher.js';
import { createApiService, type ApiService } from '../service/api-service.js';
import { FileSettings, type SettingsBackend } from '../service/settings-file.js';
import { version } from '../service/app-version.js';
import { rendererCsp } from '../shared/csp.js';
import { loadOrCreateToken } from './token.js';
import { RENDERER_MIME as MIME } from '../shared/mime.js';

/** A worker or job process that died goes to the server log with how it was started and its last lines. */
function logCrash(event: ApiEvent, log: (line: string) => void): void {
  if (event.type === 'worker.state' && event.state === 'crashed') log(`error: ${event.message}${event.logTail?.length ? `\n  ${event.logTail.join('\n  ')}` : ''}`);
  else if (event.type === 'job.state' && event.job.state === 'crashed' && event.job.error) log(`error: job ${event.job.id} (${event.job.kind}): ${event.job.error.message}`);
}

export interface ServeOptions {
  /** 0 picks a free port */
  port?: number;
  /** default 127.0.0.1; anything but loopback needs allowRemote */
  host?: string;
  allowRemote?: boolean;
  dataRoot: string;
  /** folders outside the data root that dataset paths may name */
  datasetDirs?: string[];
  /** the built renderer (out/renderer) */
  rendererDir: string;
  /** how to start engine workers (the built CLI's hidden `worker` command) */
  worker: NodeWorkerEntry;
  /** default: the one stored in the data root (created on first use) */
  token?: string;
  /** replace the stored token with a fresh one (`serve --new-token`) */
  newToken?: boolean;
  /** request bodies above this are refused with 413 (default 1 MiB) */
  maxBodyBytes?: number;
  settings?: SettingsBackend;
  /** extra environment for workers (tests pass SIMCLR_WORKBENCH_TEST_HOOKS) */
  workerEnv?: Record<string, string>;
  log?: (line: string) => void;
}

export interface RunningServer {
  /** the address to open, the token in its fragment (#token=…, never sent to any server) */
  url: string;
  token: string;
  host: string;
  port: number;
  service: ApiService;
  close(): Promise<void>;
}

export const DEFAULT_MAX_BODY = 1024 * 1024;

const STATUS: Record<ErrorCode, number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  engine_error: 422,
  cancelled: 409,
  job_crashed: 500,
  worker_crashed: 502,
  not_implemented: 501,
  internal: 500,
};

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

/** The refusal `serve` prints for a non-loopback --host without --allow-remote. */
export class RemoteBindRefused extends Error {}

function tokenEquals(given: string | null | undefined, token: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function hostForUrl(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}


/** Step 1: options made concrete (loopback check, data root, token). */
function resolveOptions(opts: ServeOptions) {
  const bindHost = opts.host ?? '127.0.0.1';
  if (!isLoopback(bindHost) && !opts.allowRemote) {
    throw new RemoteBindRefused(
      `refusing to listen on ${bindHost}: anyone who can reach this machine could then try the API. ` +
        'Use the default 127.0.0.1 with an SSH tunnel (ssh -L 8765:127.0.0.1:8765 gpu-box), or pass --allow-remote if you really mean it',
    );
  }
  const log = opts.log ?? ((line: string) => console.error(line));
  if (!isLoopback(bindHost)) log(`WARNING: listening on ${bindHost} (--allow-remote): anyone with the URL's token can run jobs and read the allowed folders; prefer an SSH tunnel`);
  const dataRoot = path.resolve(opts.dataRoot);
  fs.mkdirSync(dataRoot, { recursive: true });
  const token = opts.token ?? loadOrCreateToken(dataRoot, { rotate: opts.newToken }).token;
  return { bindHost, log, dataRoot, token, maxBody: opts.maxBodyBytes ?? DEFAULT_MAX_BODY };
}
type Resolved = ReturnType<typeof resolveOptions>;

/** Step 2: settings (a file in the data root unless given). */
function openSettings(opts: ServeOptions, r: Resolved): SettingsBackend {
  const settings = opts.settings ?? new FileSettings(path.join(r.dataRoot, 'settings.json'));
  if (settings instanceof FileSettings) for (const p of settings.problems) r.log(`warning: ${p}`);
  return settings;
}

/** Step 3: the job host (engine work in child processes) and the API service over it. */
function createService(opts: ServeOptions, r: Resolved, settings: SettingsBackend): ApiService {
  const host = new JobHost({
    launcher: nodeLauncher(opts.worker),
    env: () => {
      const s = settings.get();
      return { SIMCLR_DATA_ROOT: r.dataRoot, ...(s.backend !== 'auto' ? { SIMCLR_BACKEND: s.backend } : {}), ...(opts.workerEnv ?? {}) };
    },
    concurrency: () => settings.get().jobConcurrency,
  });
  return createApiService({
    host,
    settings,
    dataRoot: () => r.dataRoot,
    datasetDirs: () => (opts.datasetDirs ?? []).map((d) => path.resolve(d)),
    app: { name: 'SimCLR Workbench', version, shell: 'server' },
  });
}

/** Host and Origin checks (DNS rebinding, cross-site), for the port once it is known. */
interface Guards {
  hostAllowed(hostHeader: string | undefined): boolean;
  originAllowed(origin: string | undefined, hostHeader: string | undefined): boolean;
  securityHeaders(hostHeader: string | undefined): Record<string, string>;
}

function createGuards(opts: ServeOptions, r: Resolved, port: () => number): Guards {
  function hostAllowed(hostHeader: string | undefined): boolean {
    if (!hostHeader) return false;
    if (opts.allowRemote && !isLoopback(r.bindHost)) return true; // the public name is unknown; the token guards
    const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(hostHeader);
    if (!m) return false;
    return isLoopback(m[1]!) && Number(m[2] ?? 80) === port();
  }
  return {
    hostAllowed,
    originAllowed(origin, hostHeader) {
      if (origin === undefined) return true; // not a browser (curl, tests); the token still applies
      return origin === `http://${hostHeader}`;
    },
    securityHeaders(hostHeader) {
      const ws = hostHeader && hostAllowed(hostHeader) ? [`ws://${hostHeader}`] : [];
      return {
        'content-security-policy': rendererCsp(ws),
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'DENY',
        'referrer-policy': 'no-referrer',
        'cross-origin-opener-policy': 'same-origin',
        'cross-origin-resource-policy': 'same-origin',
      };
    },
  };
}

/** Step 4: the HTTP routes: POST /api/<method> (token header) and the static bundle (no secrets, no auth). */
function createHttpServer(opts: ServeOptions, r: Resolved, service: ApiService, g: Guards): http.Server {
  function sendJson(req: http.IncomingMessage, res: http.ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}) {
    const text = JSON.stringify(body);
    res.writeHead(status, { ...g.securityHeaders(req.headers.host), 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...extra });
    res.end(text);
  }

  function fail(req: http.IncomingMessage, res: http.ServerResponse, code: ErrorCode, message: string, extra: Record<string, string> = {}) {
    const envelope: ApiEnvelope = { ok: false, error: { code, message } };
    sendJson(req, res, STATUS[code], envelope, extra);
  }

  function readBody(req: http.IncomingMessage): Promise<string | 'too_large'> {
    return new Promise((resolve, reject) => {
      const declared = Number(req.headers['content-length'] ?? NaN);
      if (declared > r.maxBody) return resolve('too_large');
      const chunks: Buffer[] = [];
      let size = 0;
      let over = false;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > r.maxBody) over = true;
        else chunks.push(c);
      });
      req.on('end', () => resolve(over ? 'too_large' : Buffer.concat(chunks).toString('utf8')));
      req.on('error', reject);
    });
  }

  async function handleApi(req: http.IncomingMessage, res: http.ServerResponse, method: string) {
    if (req.method !== 'POST') return fail(req, res, 'bad_request', `use POST for /api/${method}`, { allow: 'POST' });
    if (!tokenEquals(req.headers[TOKEN_HEADER] as string | undefined, r.token)) {
      return fail(req, res, 'unauthorized', `missing or wrong ${TOKEN_HEADER} header: use the token from the URL \`serve\` printed (after #token=)`);
    }
    const type = String(req.headers['content-type'] ?? '');
    if (!/^application\/json\b/i.test(type)) return fail(req, res, 'unsupported_media_type', 'send the request as JSON (Content-Type: application/json)');
    const body = await readBody(req);
    if (body === 'too_large') {
      fail(req, res, 'payload_too_large', `the request body is over ${r.maxBody} bytes`, { connection: 'close' });
      return;
    }
    let payload: unknown = undefined;
    if (body.trim() !== '') {
      try {
        payload = JSON.parse(body);
      } catch (err) {
        return fail(req, res, 'bad_request', `${method}: the body is not valid JSON (${(err as Error).message})`);
      }
    }
    const envelope = await service.call(method, payload);
    sendJson(req, res, envelope.ok ? 200 : STATUS[envelope.error.code], envelope);
  }

  /**
   * The built renderer. It holds no secrets, so it needs no token: the page
   * reads the token from the URL fragment, which browsers never send, and no
   * cookie is ever set (cookies are not port-scoped: any other server on
   * 127.0.0.1 would receive it).
   */
  function handleStatic(req: http.IncomingMessage, res: http.ServerResponse, url: URL) {
    const headers = g.securityHeaders(req.headers.host);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...headers, allow: 'GET, HEAD' });
      return void res.end();
    }
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204, headers);
      return void res.end();
    }
    let rel: string;
    try {
      rel = decodeURIComponent(url.pathname);
    } catch {
      res.writeHead(400, headers);
      return void res.end();
    }
    if (rel.includes('\0')) {
      res.writeHead(400, headers);
      return void res.end();
    }
    if (rel === '/' || rel === '') rel = '/index.html';
    const root = path.resolve(opts.rendererDir);
    const file = path.resolve(root, '.' + path.posix.normalize(rel));
    if (!file.startsWith(root + path.sep)) {
      res.writeHead(404, headers);
      return void res.end();
    }
    fs.stat(file, (err, st) => {
      if (err || !st.isFile()) {
        const missingBuild = rel === '/index.html';
        res.writeHead(404, { ...headers, 'content-type': 'text/plain; charset=utf-8' });
        return void res.end(missingBuild ? `the renderer is not built (${root}/index.html missing): run \`npx electron-vite build\`\n` : 'not found\n');
      }
      res.writeHead(200, {
        ...headers,
        'content-type': MIME[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
        'content-length': String(st.size),
        'cache-control': rel === '/index.html' ? 'no-store' : 'private, max-age=3600',
      });
      if (req.method === 'HEAD') return void res.end();
      fs.createReadStream(file).pipe(res);
    });
  }

  const server = http.createServer((req, res) => {
    const started = Date.now();
    res.on('finish', () => {
      if (res.statusCode >= 500) r.log(`${req.method} ${(req.url ?? '').split('?')[0]} ${res.statusCode} ${Date.now() - started} ms`);
    });
    if (!g.hostAllowed(req.headers.host)) {
      res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8' });
      return void res.end(`refused: the Host header "${req.headers.host ?? ''}" does not name this server (DNS rebinding guard)\n`);
    }
    if (!g.originAllowed(req.headers.origin, req.headers.host)) return fail(req, res, 'forbidden', `refused: requests from ${req.headers.origin} are not allowed (cross-origin)`);
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname.startsWith('/api/')) {
      const method = url.pathname.slice('/api/'.length);
      handleApi(req, res, method).catch((err: unknown) => {
        if (!res.headersSent) fail(req, res, 'internal', (err as Error).message);
        else res.destroy();
      });
      return;
    }
    handleStatic(req, res, url);
  });
  server.headersTimeout = 20_000;
  server.requestTimeout = 60_000;
  return server;
}

/** Step 5: the event WebSocket (/api/events?token=…): service events out, nothing in. Returns its closer. */
function attachEvents(server: http.Server, r: Resolved, service: ApiService, g: Guards): () => void {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  const sockets = new Set<WebSocket>();
  const unsubscribe = service.subscribe((event) => {
    logCrash(event, r.log);
    const text = JSON.stringify(event);
    for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(text);
  });

  function refuseUpgrade(socket: Duplex, status: string) {
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  }

  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== EVENTS_PATH) return refuseUpgrade(socket, '404 Not Found');
    if (!g.hostAllowed(req.headers.host)) return refuseUpgrade(socket, '403 Forbidden');
    if (!g.originAllowed(req.headers.origin, req.headers.host)) return refuseUpgrade(socket, '403 Forbidden');
    // Browsers cannot set headers on a WebSocket: the token rides in the query of this one request to this server.
    if (!tokenEquals(url.searchParams.get('token'), r.token)) return refuseUpgrade(socket, '401 Unauthorized');
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      ws.on('error', () => sockets.delete(ws));
      // The socket only carries events to the page; anything it sends is ignored.
      ws.on('message', () => {});
    });
  });
  const ping = setInterval(() => {
    for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.ping();
  }, 30_000);
  ping.unref();
  return () => {
    clearInterval(ping);
    unsubscribe();
    for (const ws of sockets) ws.terminate();
  };
}

function listen(server: http.Server, port: number, host: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as { port: number }).port);
    });
  });
}

/**
 * Serve the built renderer and the API over HTTP (POST /api/<method>, JSON)
 * and WebSocket (/api/events) — the same ApiService the Electron app uses
 * over IPC, with engine work in child processes of the built CLI.
 *
 * Guards, in order, on every request: the Host header names this server (a
 * DNS-rebinding page cannot use another name), an Origin header if present
 * is this server's own, and the token matches (header for the API, query for
 * the WebSocket). The static bundle needs no token and no cookie is set.
 * Bodies are size-limited and validated; paths in requests must stay in
 * allowed folders.
 */
export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const r = resolveOptions(opts);
  const settings = openSettings(opts, r);
  const service = createService(opts, r, settings);
  let port = opts.port ?? 0;
  const guards = createGuards(opts, r, () => port);
  const server = createHttpServer(opts, r, service, guards);
  const closeEvents = attachEvents(server, r, service, guards);
  port = await listen(server, port, r.bindHost);
  const shownHost = isLoopback(r.bindHost) ? (r.bindHost === 'localhost' ? '127.0.0.1' : r.bindHost) : r.bindHost;

  let closing: Promise<void> | null = null;
  return {
    url: `http://${hostForUrl(shownHost)}:${port}/#token=${r.token}`,
    token: r.token,
    host: r.bindHost,
    port,
    service,
    close() {
      closing ??= (async () => {
        closeEvents();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await service.close();
      })();
      return closing;
    },
  };
}
