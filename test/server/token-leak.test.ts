/**
 * Issue 23 item 1: cookies are not port-scoped, so a token kept in a cookie
 * for 127.0.0.1 reaches every other web server on 127.0.0.1. Open the printed
 * URL with the shipped UI in Chromium, let the page make its calls, then
 * visit another loopback server in the same browser context: that server
 * must see the token nowhere (cookies, URL, any header).
 */
import fs from 'node:fs';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { MemorySettings } from '../../src/service/settings-file.js';
import { startServer, type RunningServer } from '../../src/server/serve.js';
import { CHROMIUM, launchBrowser } from '../e2e/harness.js';
import { shipped } from '../support/shipped.js';
import { shippedWorker, tmpDir } from './harness.js';

const haveChromium = fs.existsSync(CHROMIUM);
if (!haveChromium) console.warn(`token-leak test skipped: no Chromium at ${CHROMIUM}`);

describe.skipIf(!haveChromium)('server mode: the token never leaves for another loopback server', () => {
  let server: RunningServer;
  let other: http.Server;
  let otherPort = 0;
  let browser: Browser;
  const seen: { url: string; headers: http.IncomingHttpHeaders }[] = [];
  let root: string;

  beforeAll(async () => {
    root = tmpDir('leak-root');
    server = await startServer({ port: 0, dataRoot: root, rendererDir: shipped().renderer, worker: shippedWorker(), settings: new MemorySettings(), log: () => {} });
    other = http.createServer((req, res) => {
      seen.push({ url: req.url ?? '', headers: req.headers });
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>other</title><img src="/pixel.png">');
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    otherPort = (other.address() as { port: number }).port;
    browser = await launchBrowser();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => other?.close(r));
    await server?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('the page authenticates by header, keeps the token in sessionStorage, and another port receives none of it', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const apiCalls: { url: string; token: string | undefined }[] = [];
    page.on('request', (req) => {
      if (req.url().includes('/api/')) apiCalls.push({ url: req.url(), token: req.headers()['x-workbench-token'] });
    });
    await page.goto(server.url);
    await expect.poll(() => apiCalls.length, { timeout: 30_000 }).toBeGreaterThan(0);
    // The page's own calls carry the header; the token is gone from the address bar.
    expect(apiCalls.every((c) => c.token === server.token)).toBe(true);
    expect(page.url()).not.toContain(server.token);
    expect(await page.evaluate(() => Object.values(sessionStorage))).toContain(server.token);
    expect(await context.cookies()).toEqual([]);

    // Same browser context, another server on the same loopback address.
    const other1 = await context.newPage();
    await other1.goto(`http://127.0.0.1:${otherPort}/`);
    await page.goto(`http://127.0.0.1:${otherPort}/from-the-workbench-tab`);
    await expect.poll(() => seen.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(3);
    for (const r of seen) {
      expect(r.url).not.toContain(server.token);
      expect(JSON.stringify(r.headers)).not.toContain(server.token);
      expect(r.headers.cookie).toBeUndefined();
    }
    await context.close();
  });
});
