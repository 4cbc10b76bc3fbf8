/**
 * `npm start` itself, as a new user runs it on a machine without an Electron
 * binary: the real script (scripts/start.mjs through npm), which falls back
 * to serving the UI to the browser. The page must load and its Datasets view
 * must list the suggested datasets, which takes a working engine worker.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { electronBinary } from '../../scripts/lib/start-checks.mjs';
import { SERVE_URL } from '../server/harness.js';
import { CHROMIUM, launchBrowser, openPage, ROOT, tmpDir } from './harness.js';

const haveChromium = fs.existsSync(CHROMIUM);
const haveElectron = electronBinary(ROOT) !== null;
if (!haveChromium) console.warn(`npm start e2e skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
if (haveElectron) console.warn('npm start e2e skipped: an Electron binary is installed, so `npm start` opens the desktop app, not the browser UI');

let child: ChildProcess | null = null;
const dataRoot = tmpDir('npm-start');

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Stop npm, node start.mjs and the server it started (one process group, as
 * Ctrl+C in a terminal would), and wait until every one of them is gone.
 * Returns whether they all went within 20 s without a SIGKILL.
 */
async function stopTree(): Promise<boolean> {
  if (!child?.pid || !groupAlive(child.pid)) return true;
  process.kill(-child.pid, 'SIGTERM');
  const deadline = Date.now() + 20_000;
  while (groupAlive(child.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (!groupAlive(child.pid)) return true;
  process.kill(-child.pid, 'SIGKILL');
  return false;
}

afterAll(async () => {
  await stopTree();
  fs.rmSync(dataRoot, { recursive: true, force: true });
});

describe.skipIf(!haveChromium || haveElectron)('npm start (no Electron binary: the browser UI)', () => {
  it('serves a page whose Datasets view lists the suggested datasets, then stops cleanly', async () => {
    // --port 0: any free port; xdg-open is absent here, which --open must survive.
    child = spawn('npm', ['start', '--', '--port', '0'], { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SIMCLR_DATA_ROOT: dataRoot } });
    let output = '';
    child.stdout!.setEncoding('utf8').on('data', (c: string) => (output += c));
    child.stderr!.setEncoding('utf8').on('data', (c: string) => (output += c));
    const deadline = Date.now() + 120_000;
    while (!SERVE_URL.test(output) && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
    const url = SERVE_URL.exec(output)?.[1];
    expect(url, output).toBeDefined();
    expect(output).toContain('no Electron binary here');

    const browser = await launchBrowser();
    try {
      const { page, problems } = await openPage(browser, url!);
      await page.getByRole('heading', { name: 'Beside the installation' }).waitFor({ timeout: 30_000 });
      const suggested = await page.locator('button[title$="cifar-10-batches-bin"], button[title$="cifar-100-binary"]').allTextContents();
      expect(suggested).toEqual(['CIFAR-10 (shared subset)', 'CIFAR-100 (shared subset)']);
      // Opening one needs the engine worker: the class filter lists CIFAR-10's classes.
      await page.getByRole('button', { name: 'CIFAR-10 (shared subset)' }).click();
      await expect.poll(() => page.getByTestId('class-filter').locator('option').count(), { timeout: 60_000 }).toBeGreaterThanOrEqual(10);
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
    expect(await stopTree(), `npm start's processes outlived SIGTERM by 20 s\n${output}`).toBe(true);
    expect(output).toContain('stopping: cancelling jobs');
  }, 180_000);
});
