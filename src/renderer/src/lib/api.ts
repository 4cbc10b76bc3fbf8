/**
 * The renderer's one API object. Underneath it is either the desktop app's
 * preload bridge (window.workbench, over IPC) or, in a browser opened by
 * `simclr-workbench serve`, HTTP for calls and a WebSocket for events. The
 * choice is made once at startup; views only ever see `api`.
 *
 *   const info = await api.call('backend.info', {});
 *   const stop = api.onEvent((e) => { if (e.type === 'job.progress') ... });
 *
 * Failed calls throw ApiCallFailed with the error's code, message and
 * per-field issues (for inline form errors).
 */
import type { ApiEnvelope, ApiError, ApiEvent, ApiMethod, ApiRequest, ApiResponse, WorkbenchApi } from '../../../shared/api';
import { EVENTS_PATH, TOKEN_HEADER } from '../../../shared/api-methods';

export class ApiCallFailed extends Error {
  readonly code: ApiError['code'];
  readonly issues: NonNullable<ApiError['issues']>;
  readonly logTail: string[];
  constructor(
    readonly method: string,
    error: ApiError,
  ) {
    super(error.message);
    this.name = 'ApiCallFailed';
    this.code = error.code;
    this.issues = error.issues ?? [];
    this.logTail = error.logTail ?? [];
  }
}

/** A transport: send one call, receive every event. */
export interface Transport {
  invoke(method: ApiMethod, payload: unknown): Promise<ApiEnvelope>;
  onEvent(listener: (event: ApiEvent) => void): () => void;
}

function unwrap<T>(method: string, envelope: ApiEnvelope): T {
  if (envelope.ok) return envelope.result as T;
  throw new ApiCallFailed(method, envelope.error);
}

export function createApi(transport: Transport): WorkbenchApi {
  return {
    async call<M extends ApiMethod>(method: M, request: ApiRequest<M>): Promise<ApiResponse<M>> {
      return unwrap<ApiResponse<M>>(method, await transport.invoke(method, request));
    },
    onEvent: (listener) => transport.onEvent(listener),
  };
}

const TOKEN_KEY = 'simclr-workbench-token';

/**
 * The server token: from the URL fragment `#token=…` on first load (a
 * fragment is never sent to any server, and no cookie is ever used: cookies
 * are not port-scoped and would reach every other server on 127.0.0.1). It is
 * then removed from the address bar, so it is not left in history or shown
 * over a shoulder, and kept for this tab in sessionStorage across reloads.
 * It leaves the page only as the x-workbench-token header (and the event
 * socket's query, to this server).
 */
/** The parts of the page's globals this module uses (typed here so node-side tests compile it too). */
interface PageLocation {
  hash: string;
  pathname: string;
  search: string;
  origin: string;
}
interface PageStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}
interface PageHistory {
  state: unknown;
  replaceState(data: unknown, unused: string, url: string): void;
}
interface PageWindow {
  workbench?: Transport;
  location: PageLocation;
  sessionStorage: PageStorage;
  history: PageHistory;
}

export function takeToken(loc: PageLocation, storage: PageStorage, history: PageHistory): string | null {
  const m = /^#token=([^&]*)(?:&(.*))?$/.exec(loc.hash);
  const fromUrl = m ? decodeURIComponent(m[1]!) : '';
  if (fromUrl) {
    storage.setItem(TOKEN_KEY, fromUrl);
    const rest = m![2] ? `#${m![2]}` : '';
    history.replaceState(history.state, '', `${loc.pathname}${loc.search}${rest}`);
    return fromUrl;
  }
  return storage.getItem(TOKEN_KEY);
}

/**
 * How the page stands with the server (server mode only; the desktop app is
 * always connected): connected; reconnecting after the event socket dropped;
 * gone once it has not answered for a while (still retrying, with backoff);
 * refused when it answers 401, i.e. the token this tab holds is not the
 * server's any more.
 */
export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'gone' | 'refused';
export interface ConnectionStatus {
  state: ConnectionState;
  /** when the next attempt is due (ms since epoch), while reconnecting or gone */
  nextRetryAt: number | null;
}

/** Backoff between attempts to reach a server that went away. */
export const RETRY_FIRST_MS = 500;
export const RETRY_MAX_MS = 8_000;
/** Unanswered for this long, the server counts as gone rather than blipping. */
export const GONE_AFTER_MS = 6_000;

export interface HttpTransport extends Transport {
  /** try to reach the server now instead of waiting for the next backoff step */
  retryNow(): void;
}

/** HTTP (POST /api/<method>) for calls, one WebSocket for events, reconnecting with backoff. */
export function httpTransport(opts: {
  base: string;
  token: string;
  fetch?: typeof fetch;
  WebSocket?: typeof WebSocket;
  onStatus?: (status: ConnectionStatus) => void;
}): HttpTransport {
  const doFetch = opts.fetch ?? fetch.bind(globalThis);
  const WS = opts.WebSocket ?? WebSocket;
  const listeners = new Set<(event: ApiEvent) => void>();
  let socket: WebSocket | null = null;
  let retry = RETRY_FIRST_MS;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let downSince: number | null = null;
  let state: ConnectionState = 'connecting';

  function setStatus(next: ConnectionState, nextRetryAt: number | null = null) {
    state = next;
    opts.onStatus?.({ state: next, nextRetryAt });
  }

  function markUp() {
    downSince = null;
    retry = RETRY_FIRST_MS;
    if (state !== 'connected') setStatus('connected');
  }

  /** The socket dropped or a call got no answer: ask again after the next backoff step. */
  function markDown() {
    if (state === 'refused' || timer) return;
    downSince ??= Date.now();
    const wait = retry;
    retry = Math.min(retry * 2, RETRY_MAX_MS);
    setStatus(Date.now() - downSince >= GONE_AFTER_MS ? 'gone' : 'reconnecting', Date.now() + wait);
    timer = setTimeout(() => {
      timer = null;
      void probe();
    }, wait);
  }

  function markRefused() {
    if (timer) clearTimeout(timer);
    timer = null;
    setStatus('refused');
  }

  /** A cheap authenticated call tells "server down" from "token refused" (a refused WebSocket upgrade cannot). */
  async function probe() {
    try {
      const res = await doFetch(new URL('/api/app.info', opts.base).href, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [TOKEN_HEADER]: opts.token },
        body: '{}',
      });
      if (res.status === 401) return markRefused();
      connect();
    } catch {
      markDown();
    }
  }

  function connect() {
    if (socket || listeners.size === 0 || state === 'refused') return;
    const url = new URL(EVENTS_PATH, opts.base);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    url.searchParams.set('token', opts.token);
    const ws = new WS(url.href);
    socket = ws;
    // The stores watch `connection` and catch up on what happened while the socket was down.
    ws.onopen = () => markUp();
    ws.onmessage = (m: MessageEvent) => {
      let event: ApiEvent;
      try {
        event = JSON.parse(String(m.data)) as ApiEvent;
      } catch {
        return;
      }
      for (const l of listeners) l(event);
    };
    ws.onclose = () => {
      socket = null;
      if (listeners.size > 0) markDown();
    };
  }

  return {
    async invoke(method, payload) {
      let res: Response;
      try {
        res = await doFetch(new URL(`/api/${method}`, opts.base).href, {
          method: 'POST',
          headers: { 'content-type': 'application/json', [TOKEN_HEADER]: opts.token },
          body: JSON.stringify(payload ?? {}),
        });
      } catch (err) {
        markDown();
        return { ok: false, error: { code: 'internal', message: `the workbench server did not answer (${(err as Error).message}); is \`simclr-workbench serve\` still running?` } };
      }
      if (res.status === 401) markRefused();
      try {
        return (await res.json()) as ApiEnvelope;
      } catch {
        return { ok: false, error: { code: 'internal', message: `the server answered ${res.status} without a JSON body` } };
      }
    },
    onEvent(listener) {
      listeners.add(listener);
      connect();
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && socket) {
          const s = socket;
          socket = null;
          s.onclose = null;
          s.close();
        }
      };
    },
    retryNow() {
      if (state === 'refused' || socket) return;
      if (timer) clearTimeout(timer);
      timer = null;
      retry = RETRY_FIRST_MS;
      void probe();
    },
  };
}

/** A transport that fails every call with the same explanation (no bridge, no token). */
function unavailable(message: string): Transport {
  return {
    invoke: async () => ({ ok: false, error: { code: 'unauthorized', message } }),
    onEvent: () => () => {},
  };
}

/** Listeners for the connection state (the shell's banner), and the way to ask for a retry. */
export const connection = {
  listeners: new Set<(status: ConnectionStatus) => void>(),
  /** the latest status; the desktop app (IPC) is always connected */
  current: { state: 'connected', nextRetryAt: null } as ConnectionStatus,
  retryNow: () => {},
  /** whether the page has a token at all (server mode) */
  hasToken: true,
};

function publish(status: ConnectionStatus) {
  connection.current = status;
  for (const l of connection.listeners) l(status);
}

export function chooseTransport(win: PageWindow): Transport {
  if (win.workbench) return win.workbench;
  const token = takeToken(win.location, win.sessionStorage, win.history);
  if (!token) {
    connection.hasToken = false;
    publish({ state: 'refused', nextRetryAt: null });
    return unavailable('no access token: open the URL printed by `simclr-workbench serve` (it ends in #token=...)');
  }
  publish({ state: 'connecting', nextRetryAt: null });
  const transport = httpTransport({ base: win.location.origin, token, onStatus: publish });
  connection.retryNow = () => transport.retryNow();
  return transport;
}

const page = (globalThis as { window?: PageWindow }).window;
export const api: WorkbenchApi = createApi(page ? chooseTransport(page) : unavailable('no window'));
