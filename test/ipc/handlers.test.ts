import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EVENT_CHANNEL, INVOKE_CHANNEL, type ApiEnvelope, type ApiEvent } from '../../src/shared/api.js';
import { JobHost, type Launcher } from '../../src/engine/jobs/host.js';
import { createApiService, type ApiService } from '../../src/service/api-service.js';
import { MemorySettings } from '../../src/service/settings-file.js';
import { createInvokeHandler, forwardEvents, MAX_IPC_PAYLOAD_BYTES, registerInvokeHandler, trustedRenderer } from '../../src/main/ipc.js';
import { FakeIpcMain, RENDERER_INDEX, tmpDir } from '../server/harness.js';

// The main process's IPC layer with stand-ins for Electron's event objects. No
// worker process is needed here: calls that would reach one fail the test.
const noWorkers: Launcher = () => {
  throw new Error('this test must not start a worker');
};

let service: ApiService;
let ipcMain: FakeIpcMain;
let root: string;
const trusted = trustedRenderer({ rendererIndexUrl: RENDERER_INDEX, devServerUrl: 'http://localhost:5173/' });
const appFrame = { senderFrame: { url: RENDERER_INDEX } };

function invoke(frame: { senderFrame: { url: string } | null }, method: unknown, payload?: unknown) {
  return ipcMain.invoke(INVOKE_CHANNEL, frame, method, payload) as Promise<ApiEnvelope>;
}

beforeEach(() => {
  root = tmpDir('ipc-root');
  service = createApiService({
    host: new JobHost({ launcher: noWorkers, env: () => ({}) }),
    settings: new MemorySettings(),
    dataRoot: () => root,
    datasetDirs: () => [],
    app: { name: 'SimCLR Workbench', version: 'test', shell: 'electron' },
  });
  ipcMain = new FakeIpcMain();
  registerInvokeHandler(ipcMain, createInvokeHandler(service, trusted));
});

afterEach(async () => {
  await service.close();
  fs.rmSync(root, { recursive: true, force: true });
});

describe('IPC: who may call', () => {
  it('answers the app page', async () => {
    expect(await invoke(appFrame, 'app.info', {})).toMatchObject({ ok: true, result: { shell: 'electron', version: 'test' } });
  });

  it('answers the dev server page, only on its own origin', async () => {
    expect((await invoke({ senderFrame: { url: 'http://localhost:5173/#/runs' } }, 'app.info', {})).ok).toBe(true);
    expect(await invoke({ senderFrame: { url: 'http://localhost:5174/' } }, 'app.info', {})).toMatchObject({ ok: false, error: { code: 'forbidden' } });
  });

  for (const url of ['https://example.com/', 'file:///tmp/evil/index.html', 'about:blank', 'data:text/html,hi', 'not a url']) {
    it(`refuses a frame at ${url}`, async () => {
      const r = await invoke({ senderFrame: { url } }, 'settings.set', { patch: { theme: 'dark' } });
      expect(r).toMatchObject({ ok: false, error: { code: 'forbidden', message: expect.stringContaining('untrusted page') } });
      await expect(service.call('settings.get', {})).resolves.toMatchObject({ result: { theme: 'system' } });
    });
  }

  it('refuses a call whose frame is gone', async () => {
    expect(await invoke({ senderFrame: null }, 'app.info', {})).toMatchObject({ ok: false, error: { code: 'forbidden' } });
  });
});

describe('IPC: payloads', () => {
  it('validates every payload and names the field', async () => {
    const r = await invoke(appFrame, 'settings.set', { patch: { theme: 'purple' } });
    expect(r).toMatchObject({ ok: false, error: { code: 'bad_request', issues: [{ path: 'patch.theme' }] } });
    expect(await invoke(appFrame, 'jobs.status', { jobId: '../../x' })).toMatchObject({ ok: false, error: { code: 'bad_request', issues: [{ path: 'jobId' }] } });
    expect(await invoke(appFrame, 'jobs.start', { kind: 'shell', config: {} })).toMatchObject({ ok: false, error: { code: 'bad_request' } });
  });

  it('refuses unknown methods and non-string method names', async () => {
    expect(await invoke(appFrame, 'fs.readFile', {})).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(await invoke(appFrame, ['app.info'], {})).toMatchObject({ ok: false, error: { code: 'not_found' } });
  });

  it('refuses oversized payloads, like the HTTP transport', async () => {
    const r = await invoke(appFrame, 'settings.set', { patch: { theme: 'dark' }, pad: 'x'.repeat(MAX_IPC_PAYLOAD_BYTES) });
    expect(r).toMatchObject({ ok: false, error: { code: 'payload_too_large' } });
  });

  it('refuses payloads that are not plain data', async () => {
    const handler = createInvokeHandler(service, trusted);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(await handler(appFrame, 'settings.set', cyclic)).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(await handler(appFrame, 'settings.set', { patch: { theme: 10n } })).toMatchObject({ ok: false, error: { code: 'bad_request' } });
  });

  it('refuses paths outside the allowed folders before any worker is asked', async () => {
    const r = await invoke(appFrame, 'datasets.summary', { dataset: { kind: 'path', path: '/etc' } });
    expect(r).toMatchObject({ ok: false, error: { code: 'forbidden', message: expect.stringContaining('File > Add Dataset Folder') } });
  });

  it('keeps settings and reports the change as an event', async () => {
    const events: ApiEvent[] = [];
    const stop = service.subscribe((e) => events.push(e));
    const r = await invoke(appFrame, 'settings.set', { patch: { theme: 'dark', jobConcurrency: 2 } });
    expect(r).toMatchObject({ ok: true, result: { theme: 'dark', jobConcurrency: 2, backend: 'auto' } });
    expect(await invoke(appFrame, 'settings.get')).toMatchObject({ ok: true, result: { theme: 'dark' } });
    expect(events).toEqual([{ type: 'settings.changed', settings: expect.objectContaining({ theme: 'dark' }) }]);
    stop();
  });

  it('registers one handler and can take it back', () => {
    expect([...ipcMain.handlers.keys()]).toEqual([INVOKE_CHANNEL]);
    expect(() => registerInvokeHandler(ipcMain, createInvokeHandler(service, trusted))).toThrow(/second handler/);
  });
});

describe('IPC: events to windows', () => {
  it('sends every event to every live window, and stops when asked', () => {
    const sent: { id: number; channel: string; event: unknown }[] = [];
    const wc = (id: number, destroyed = false) => ({ isDestroyed: () => destroyed, send: (channel: string, event: unknown) => sent.push({ id, channel, event }) });
    const listeners = new Set<(e: ApiEvent) => void>();
    const subscribe = (l: (e: ApiEvent) => void) => {
      listeners.add(l);
      return () => listeners.delete(l);
    };
    const stop = forwardEvents(subscribe, () => [wc(1), wc(2, true), wc(3)]);
    const event: ApiEvent = { type: 'job.log', jobId: 'job-1', stream: 'log', line: 'hello' };
    for (const l of listeners) l(event);
    expect(sent).toEqual([
      { id: 1, channel: EVENT_CHANNEL, event },
      { id: 3, channel: EVENT_CHANNEL, event },
    ]);
    stop();
    expect(listeners.size).toBe(0);
  });
});

describe('preload bridge', () => {
  it('exposes exactly invoke and onEvent as window.workbench, and nothing of ipcRenderer', async () => {
    const exposed: Record<string, unknown> = {};
    const ipcRenderer = {
      invoke: vi.fn(async () => ({ ok: true, result: 'pong' })),
      on: vi.fn(),
      removeListener: vi.fn(),
      send: vi.fn(),
    };
    vi.resetModules();
    vi.doMock('electron', () => ({
      contextBridge: { exposeInMainWorld: (key: string, value: unknown) => (exposed[key] = value) },
      ipcRenderer,
    }));
    await import('../../src/preload/index.js');
    vi.doUnmock('electron');

    expect(Object.keys(exposed)).toEqual(['workbench']);
    const bridge = exposed.workbench as { invoke(m: string, p: unknown): Promise<ApiEnvelope>; onEvent(l: (e: unknown) => void): () => void };
    expect(Object.keys(bridge).sort()).toEqual(['invoke', 'onEvent']);
    expect(Object.values(bridge).every((v) => typeof v === 'function')).toBe(true);

    expect(await bridge.invoke('app.info', {})).toEqual({ ok: true, result: 'pong' });
    expect(ipcRenderer.invoke).toHaveBeenCalledWith(INVOKE_CHANNEL, 'app.info', {});
    // unknown methods never reach the main process
    expect(await bridge.invoke('shell.openExternal', 'https://x')).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(ipcRenderer.invoke).toHaveBeenCalledTimes(1);

    const got: unknown[] = [];
    const off = bridge.onEvent((e) => got.push(e));
    expect(ipcRenderer.on).toHaveBeenCalledWith(EVENT_CHANNEL, expect.any(Function));
    const wrapped = ipcRenderer.on.mock.calls[0]![1] as (ev: unknown, data: unknown) => void;
    wrapped({ sender: 'the IpcRendererEvent, which must not reach the page' }, { type: 'job.log' });
    expect(got).toEqual([{ type: 'job.log' }]);
    off();
    expect(ipcRenderer.removeListener).toHaveBeenCalledWith(EVENT_CHANNEL, wrapped);
    expect(ipcRenderer.send).not.toHaveBeenCalled();
  });
});
