/**
 * Issue 23 item 3: over IPC a renderer cannot change the data root (which
 * widens what the engine may read); the main process does, after its dialog.
 */
import { describe, expect, it } from 'vitest';
import type { ApiEnvelope } from '../../src/shared/api.js';
import { createInvokeHandler, trustedRenderer } from '../../src/main/ipc.js';

const INDEX = 'file:///app/out/renderer/index.html';

function recordingService() {
  const calls: [unknown, unknown][] = [];
  return {
    calls,
    call: async (method: unknown, payload: unknown): Promise<ApiEnvelope> => {
      calls.push([method, payload]);
      return { ok: true, result: { method } };
    },
  };
}

describe('IPC: the data root is main-process only', () => {
  const frame = { senderFrame: { url: INDEX } };

  for (const dataRoot of ['/', '/etc', null, '~']) {
    it(`refuses settings.set { dataRoot: ${JSON.stringify(dataRoot)} } from the renderer, naming the field and the dialog`, async () => {
      const service = recordingService();
      const handler = createInvokeHandler(service, trustedRenderer({ rendererIndexUrl: INDEX }));
      const r = await handler(frame, 'settings.set', { patch: { dataRoot, theme: 'dark' } });
      expect(r).toMatchObject({ ok: false, error: { code: 'forbidden', issues: [{ path: 'patch.dataRoot' }] } });
      expect(!r.ok && r.error.message).toMatch(/patch\.dataRoot can only be changed with the app's folder dialog \(File > Choose Data Folder…\)/);
      expect(service.calls).toEqual([]); // never reached the service, so nothing changed
    });
  }

  it('passes other settings through, and the main process (calling the service directly) may set it', async () => {
    const service = recordingService();
    const handler = createInvokeHandler(service, trustedRenderer({ rendererIndexUrl: INDEX }));
    expect((await handler(frame, 'settings.set', { patch: { theme: 'dark' } })).ok).toBe(true);
    expect((await handler(frame, 'settings.get', {})).ok).toBe(true);
    await service.call('settings.set', { patch: { dataRoot: '/chosen/in/dialog' } });
    expect(service.calls.map(([m]) => m)).toEqual(['settings.set', 'settings.get', 'settings.set']);
  });
});
