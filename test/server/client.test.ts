import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { ApiEvent, JobInfo, WorkbenchApi } from '../../src/shared/api.js';
import { MemorySettings } from '../../src/service/settings-file.js';
import { startServer, type RunningServer } from '../../src/server/serve.js';
import { shippedWorker, fakeRenderer, tmpDir } from './harness.js';

/**
 * The renderer's api object with its HTTP/WebSocket transport, against a real
 * server. (The module is the renderer's own, built for a browser; Node's fetch
 * and the ws package stand in for the browser's.)
 */
interface ClientModule {
  createApi(t: unknown): WorkbenchApi;
  httpTransport(opts: { base: string; token: string; WebSocket?: unknown }): unknown;
  takeToken(loc: unknown, storage: unknown, history: unknown): string | null;
  ApiCallFailed: new (...args: never[]) => Error & { code: string; issues: { path: string }[] };
}

// A computed specifier: the renderer module is checked by the web tsconfig (DOM types), not this one.
const clientPath = '../../src/renderer/src/lib/api.js';
let client: ClientModule;
const worker = shippedWorker();
let server: RunningServer;
const dirs: string[] = [];

beforeAll(async () => {
  client = (await import(/* @vite-ignore */ clientPath)) as ClientModule;
  const root = tmpDir('client-root');
  const renderer = fakeRenderer();
  dirs.push(root, renderer);
  server = await startServer({ port: 0, dataRoot: root, rendererDir: renderer, worker: worker, settings: new MemorySettings(), log: () => {} });
});

afterAll(async () => {
  await server?.close();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function fakeBrowser(hash: string, search = '?view=runs') {
  const store = new Map<string, string>();
  const history: { url: string | null } = { url: null };
  return {
    location: { search, pathname: '/', hash },
    storage: { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v) },
    history: { state: null, replaceState: (_s: unknown, _t: string, url: string) => void (history.url = url) },
    replaced: history,
  };
}

describe('renderer api client over HTTP', () => {
  it('takes the token from the URL fragment once, removes it from the address bar, and keeps it for reloads', () => {
    const b = fakeBrowser('#token=abc123&/runs');
    expect(client.takeToken(b.location, b.storage, b.history)).toBe('abc123');
    expect(b.replaced.url).toBe('/?view=runs#/runs');
    const reload = { ...b.location, hash: '#/runs' };
    expect(client.takeToken(reload, b.storage, b.history)).toBe('abc123');
    const bare = fakeBrowser('#token=xyz', '');
    expect(client.takeToken(bare.location, bare.storage, bare.history)).toBe('xyz');
    expect(bare.replaced.url).toBe('/');
    // A query is sent to the server (and its logs): it is not a way in any more.
    const query = fakeBrowser('#/runs', '?token=abc123');
    expect(client.takeToken(query.location, query.storage, query.history)).toBeNull();
    const fresh = fakeBrowser('');
    expect(client.takeToken(fresh.location, fresh.storage, fresh.history)).toBeNull();
  });

  it('calls the API, returns results, and throws ApiCallFailed with the fields for bad input', async () => {
    const api = client.createApi(client.httpTransport({ base: `http://127.0.0.1:${server.port}`, token: server.token, WebSocket }));
    expect(await api.call('app.info', {})).toMatchObject({ shell: 'server' });
    const err = await api.call('settings.set', { patch: { theme: 'neon' as 'dark' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(client.ApiCallFailed);
    expect(err).toMatchObject({ code: 'bad_request', issues: [{ path: 'patch.theme' }] });
  });

  it('says why when the token is wrong', async () => {
    const api = client.createApi(client.httpTransport({ base: `http://127.0.0.1:${server.port}`, token: 'wrong', WebSocket }));
    await expect(api.call('app.info', {})).rejects.toMatchObject({ code: 'unauthorized' });
  });

  it('delivers job events through the WebSocket', async () => {
    const api = client.createApi(client.httpTransport({ base: `http://127.0.0.1:${server.port}`, token: server.token, WebSocket }));
    const events: ApiEvent[] = [];
    const stop = api.onEvent((e) => events.push(e));
    await new Promise((r) => setTimeout(r, 200)); // the socket opens
    const job = (await api.call('jobs.start', { kind: 'selftest', config: { steps: 3, stepMs: 5 } })) as JobInfo;
    const deadline = Date.now() + 30_000;
    while (!events.some((e) => e.type === 'job.state' && e.job.id === job.id && e.job.state === 'succeeded') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    stop();
    const progress = events.filter((e) => e.type === 'job.progress' && e.jobId === job.id).map((e) => (e as { progress: { step: number } }).progress.step);
    expect(progress).toEqual([1, 2, 3]);
    expect(events.filter((e) => e.type === 'job.log' && e.jobId === job.id).map((e) => (e as { line: string }).line)).toContain('selftest: step 3/3');
  });
});
