import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_INDEX_URL, appFileInside, appProtocolHandler, resolveAppPath } from '../../src/main/app-protocol.js';
import { trustedRenderer } from '../../src/main/ipc.js';
import { RENDERER_CSP } from '../../src/shared/csp.js';

// The app:// handler over a real folder: a renderer build, a secret file next to
// it, and symlinks that point in and out.
let base: string;
let root: string;

beforeAll(() => {
  base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'simclr-app-protocol-')));
  root = path.join(base, 'renderer');
  fs.mkdirSync(path.join(root, 'assets'), { recursive: true });
  fs.writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>SimCLR Workbench</title>');
  fs.writeFileSync(path.join(root, 'assets', 'index-abc.js'), 'console.log(1)');
  fs.writeFileSync(path.join(root, 'assets', 'a b.css'), 'body{}');
  fs.writeFileSync(path.join(base, 'secret.txt'), 'not for the page');
  fs.symlinkSync(path.join(base, 'secret.txt'), path.join(root, 'assets', 'out.txt'));
  fs.symlinkSync(base, path.join(root, 'up'));
  fs.symlinkSync(path.join(root, 'assets', 'index-abc.js'), path.join(root, 'alias.js'));
});

afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

describe('resolveAppPath', () => {
  it('maps app://workbench/ paths into the renderer folder', () => {
    expect(resolveAppPath(root, 'app://workbench/')).toEqual({ ok: true, file: path.join(root, 'index.html') });
    expect(resolveAppPath(root, 'app://workbench')).toEqual({ ok: true, file: path.join(root, 'index.html') });
    expect(resolveAppPath(root, APP_INDEX_URL)).toEqual({ ok: true, file: path.join(root, 'index.html') });
    expect(resolveAppPath(root, 'app://workbench/assets/index-abc.js?v=1#x')).toEqual({ ok: true, file: path.join(root, 'assets', 'index-abc.js') });
    expect(resolveAppPath(root, 'app://workbench/assets/a%20b.css')).toEqual({ ok: true, file: path.join(root, 'assets', 'a b.css') });
  });

  it('keeps dot segments inside the root (the URL parser resolves them against /)', () => {
    expect(resolveAppPath(root, 'app://workbench/../../secret.txt')).toEqual({ ok: true, file: path.join(root, 'secret.txt') });
    expect(resolveAppPath(root, 'app://workbench/assets/%2e%2e/%2e%2e/index.html')).toEqual({ ok: true, file: path.join(root, 'index.html') });
  });

  const refused: Array<[string, number, RegExp]> = [
    ['app://workbench/..%2fsecret.txt', 400, /encoded separator/],
    ['app://workbench/assets/..%2F..%2Fsecret.txt', 400, /encoded separator/],
    ['app://workbench/..%5csecret.txt', 400, /encoded separator/],
    ['app://workbench/index.html%00.js', 400, /NUL/],
    ['app://workbench/%E0%A4%A', 400, /percent-encoding/],
    ['app://other/index.html', 404, /not an app:\/\/workbench/],
    ['file:///etc/passwd', 404, /not an app:\/\/workbench/],
    ['https://workbench/index.html', 404, /not an app:\/\/workbench/],
    ['not a url', 400, /not a URL/],
  ];
  for (const [url, status, reason] of refused) {
    it(`refuses ${url} (${status})`, () => {
      const r = resolveAppPath(root, url);
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.status).toBe(status);
        expect(r.reason).toMatch(reason);
      }
    });
  }

  it('refuses backslashes (a Windows separator; the URL parser keeps them raw in a custom scheme)', () => {
    expect(resolveAppPath(root, 'app://workbench/assets\\..\\..\\secret.txt')).toMatchObject({ ok: false, status: 400 });
  });
});

describe('appFileInside (symlinks followed, then checked)', () => {
  it('reads regular files and links that stay inside', async () => {
    expect(String(await appFileInside(root, path.join(root, 'index.html')))).toContain('<title>SimCLR Workbench</title>');
    expect(String(await appFileInside(root, path.join(root, 'alias.js')))).toBe('console.log(1)');
  });

  it('refuses links that point out, folders and missing files', async () => {
    expect(await appFileInside(root, path.join(root, 'assets', 'out.txt'))).toBeNull();
    expect(await appFileInside(root, path.join(root, 'up', 'secret.txt'))).toBeNull();
    expect(await appFileInside(root, path.join(root, 'assets'))).toBeNull();
    expect(await appFileInside(root, path.join(root, 'nope.js'))).toBeNull();
  });
});

describe('appProtocolHandler', () => {
  // built per call: `root` exists only once beforeAll has run
  const handler = (r: Request) => appProtocolHandler(root)(r);

  it('answers the page with its type and the shared CSP', async () => {
    const r = await handler(new Request('app://workbench/'));
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(r.headers.get('content-security-policy')).toBe(RENDERER_CSP);
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await r.text()).toContain('<title>SimCLR Workbench</title>');
    const js = await handler(new Request('app://workbench/assets/index-abc.js'));
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await js.text()).toBe('console.log(1)');
  });

  it('answers 404 for a link out and a missing file, 400 for an encoded traversal, 405 for POST', async () => {
    const out = await handler(new Request('app://workbench/assets/out.txt'));
    expect(out.status).toBe(404);
    expect(await out.text()).not.toContain('not for the page');
    expect((await handler(new Request('app://workbench/up/secret.txt'))).status).toBe(404);
    expect((await handler(new Request('app://workbench/missing.js'))).status).toBe(404);
    expect((await handler(new Request('app://workbench/..%2fsecret.txt'))).status).toBe(400);
    expect((await handler(new Request('app://workbench/index.html', { method: 'POST', body: 'x' }))).status).toBe(405);
  });
});

describe('trustedRenderer with the app:// origin', () => {
  const trusted = trustedRenderer({ rendererIndexUrl: APP_INDEX_URL, devServerUrl: 'http://localhost:5173/' });
  it('trusts the app index page and the dev server', () => {
    expect(trusted('app://workbench/index.html')).toBe(true);
    expect(trusted('app://workbench/index.html#/runs')).toBe(true);
    expect(trusted('app://workbench/')).toBe(true);
    expect(trusted('http://localhost:5173/')).toBe(true);
  });
  it('refuses file:// (even the old index), other app:// hosts and paths, and the web', () => {
    for (const url of ['file:///opt/app/out/renderer/index.html', 'app://evil/index.html', 'app://workbench/assets/x.html', 'https://workbench/index.html', 'http://localhost:5174/', '']) {
      expect(trusted(url), url).toBe(false);
    }
  });
});
