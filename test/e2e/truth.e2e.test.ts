/**
 * Issue 22 in the browser: the UI tells the truth about jobs and the server,
 * and keeps the user's work. Against `simclr-workbench serve` (the shipped
 * build) in Chromium, one server and one browser for the file, tiny budgets:
 *
 *   - validation in people's words, every problem listed, warnings that do not block
 *   - a failing embedding job shows its error where it was started; the form checks perplexity < n
 *   - a second projection of the same images shows as soon as its job ends
 *   - two evaluations with different limits are both kept, with per-class accuracy and confusion
 *   - reload mid-run keeps the full charts, the form and the designer's pipeline
 *   - cancel: not an error, the bar stops, "Retry with changes" where there is no checkpoint
 *   - the server stops and comes back: banner, reattach (the lost job reads "interrupted");
 *     a new token: a page that says so
 */
import fs from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, launchBrowser, openPage, serve, shot, tmpDir, type Served } from './harness.js';

const haveChromium = fs.existsSync(CHROMIUM);

describe.skipIf(!haveChromium)('the UI tells the truth and keeps the work (issue 22)', () => {
  let server: Served;
  let browser: Browser;
  let page: Page;
  let base: string;
  let port: number;
  let dataRoot: string;
  let runId = '';

  beforeAll(async () => {
    dataRoot = tmpDir('truth');
    server = await serve({ dataRoot });
    port = Number(new URL(server.url).port);
    base = server.url.replace(/#token=.*$/, '');
    browser = await launchBrowser();
    ({ page } = await openPage(browser, server.url));
    await page.getByTestId('current-dataset').filter({ hasText: 'CIFAR-10' }).waitFor({ timeout: 60_000 });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (dataRoot) fs.rmSync(dataRoot, { recursive: true, force: true });
  });

  const go = (view: string) => page.goto(`${base}#/${view}`);

  /** An API call from the page, with its token (as a script in the tab would make it). */
  function callApi<T = unknown>(method: string, payload: unknown): Promise<{ ok: boolean; result?: T; error?: { message: string } }> {
    return page.evaluate(
      async ([m, p]) => {
        const storage = (globalThis as unknown as { sessionStorage: { getItem(k: string): string | null } }).sessionStorage;
        const token = storage.getItem('simclr-workbench-token') ?? '';
        const res = await fetch(`/api/${m}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-workbench-token': token }, body: JSON.stringify(p) });
        return res.json();
      },
      [method, payload] as const,
    ) as Promise<{ ok: boolean; result?: T; error?: { message: string } }>;
  }

  async function fillTrain(name: string, fields: Record<string, string>) {
    await go('train');
    const form = page.getByTestId('train-form');
    await form.getByTestId('f-runName').fill(name);
    for (const [id, value] of Object.entries({ batchSize: '32', knnK: '20', knnTestLimit: '200', ...fields })) await form.getByTestId(`f-${id}`).fill(value);
    await expect.poll(() => page.getByTestId('form-problems').count()).toBe(0);
  }

  async function startTrain(name: string, fields: Record<string, string>) {
    await fillTrain(name, fields);
    await page.getByTestId('train-start').click();
    const monitor = page.getByTestId('train-monitor');
    await expect.poll(async () => (await monitor.locator('h2').textContent())?.trim(), { timeout: 30_000 }).toMatch(new RegExp(`${name.replace(/[()]/g, '\\$&')}$`));
    return monitor;
  }

  it('says what is wrong in people’s words, lists every problem, and warns without blocking', async () => {
    await go('train');
    await page.getByTestId('f-epochs').fill('0.5');
    await page.getByTestId('f-batchSize').fill('1');
    const problems = page.getByTestId('form-problems');
    await expect.poll(() => problems.locator('li').count()).toBe(2);
    expect(await problems.textContent()).toMatch(/^\s*2 problems/);
    const items = await problems.locator('li').allTextContents();
    expect(items).toContain('Epochs must be a whole number');
    expect(items.some((t) => /^Batch size: NT-Xent needs at least 2 images per batch/.test(t))).toBe(true);
    expect(await problems.textContent()).not.toMatch(/expected|Too small|received/);
    expect(await page.getByTestId('train-start').isDisabled()).toBe(true);

    // absurd but allowed: warned, not blocked (peak lr = 1000 x sqrt(32) with the default sqrt scaling)
    await page.getByTestId('f-epochs').fill('2');
    await page.getByTestId('f-batchSize').fill('32');
    await page.getByTestId('f-baseLr').fill('1000');
    await page.getByTestId('f-warmup').fill('1.5');
    await expect.poll(() => page.getByTestId('form-warnings').locator('li').count()).toBe(2);
    expect(await page.getByTestId('form-warnings').textContent()).toMatch(/peak learning rate .* is 5\.66e\+3, above 100/);
    expect(await page.getByTestId('form-warnings').textContent()).toMatch(/Warmup \(1\.5 epochs\) is longer than half the run \(2 epochs\)/);
    expect(await page.getByTestId('train-start').isDisabled()).toBe(false);
    await page.getByTestId('f-baseLr').fill('');
    await page.getByTestId('f-warmup').fill('1');

    // the designer: two problems, both listed
    await go('augment');
    await page.locator('[data-op="randomResizedCrop"]').click();
    await page.getByTestId('param-scale-low').fill('0.9');
    await page.getByTestId('param-scale-low').press('Enter');
    await page.getByTestId('param-scale-high').fill('0.5');
    await page.getByTestId('param-scale-high').press('Enter');
    await page.getByTestId('param-ratio-low').fill('2');
    await page.getByTestId('param-ratio-low').press('Enter');
    await page.getByTestId('param-ratio-high').fill('1');
    await page.getByTestId('param-ratio-high').press('Enter');
    const invalid = page.getByTestId('pipeline-invalid');
    await expect.poll(() => invalid.textContent()).toMatch(/has 2 problems/);
    expect(await page.getByTestId('pipeline-problems').locator('li').count()).toBe(2);
    await page.getByTestId('op-reset').click();
    await expect.poll(() => invalid.count()).toBe(0);
    await page.getByTestId('preset-apply').click();
  }, 60_000);

  it('shows a failing embedding job where it was started, and checks perplexity < n before starting', async () => {
    const monitor = await startTrain('truth-a', { trainLimit: '256', epochs: '1' });
    await expect.poll(() => monitor.getAttribute('data-phase'), { timeout: 150_000 }).toBe('completed');
    runId = (await monitor.locator('h2').textContent())!.trim();
    // a finished bar is still: full and not animated
    expect(await monitor.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('100');

    await go(`embeddings?run=${runId}`);
    await page.getByTestId('embed-n').fill('200');
    await page.getByTestId('embed-perplexity').fill('5000');
    await expect.poll(() => page.getByText(/Perplexity must be below the number of points \(200\)/).count()).toBe(1);
    expect(await page.getByTestId('embed-start').isDisabled()).toBe(true);

    // a job that fails anyway (started by a script, past the form): its error shows in the panel
    const started = await callApi('jobs.start', { kind: 'embed', label: `embed ${runId}`, config: { runId, split: 'test', n: 200, method: 'tsne', features: 'h', perplexity: 5000, iterations: 50 } });
    expect(started.ok).toBe(true);
    const failed = page.getByTestId('embed-failed');
    await expect.poll(() => failed.textContent(), { timeout: 60_000 }).toMatch(/perplexity must be in \(0, n = 200\), got 5000/);
    expect(await failed.textContent()).toMatch(/The projection failed/);
    await shot(page, 'embeddings-failed');
  }, 240_000);

  it('shows a second projection of the same images within 2 s of its job’s end', async () => {
    const newestEmbed = async () => {
      const r = await callApi<{ jobs: { id: string; kind: string; state: string; createdAt: string; endedAt: string | null }[] }>('jobs.list', {});
      return r.result!.jobs.filter((j) => j.kind === 'embed').sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0]!;
    };
    const project = async (perplexity: string) => {
      await page.getByTestId('embed-perplexity').fill(perplexity);
      await page.getByTestId('embed-iterations').fill('250');
      await page.getByTestId('embed-start').click();
      await expect.poll(async () => (await newestEmbed()).state, { timeout: 90_000, interval: 100 }).toBe('succeeded');
      const ended = Date.now();
      const list = await callApi<{ projections: { file: string }[] }>('embeddings.list', { runId });
      const file = list.result!.projections[0]!.file;
      const fresh = await callApi<{ coords: number[] }>('embeddings.get', { runId, file });
      const expected = fresh.result!.coords.slice(0, 2).join(',');
      await expect.poll(() => page.getByTestId('scatter-box').getAttribute('data-first-coords'), { timeout: 2_000, interval: 100 }).toBe(expected);
      return { seconds: (Date.now() - ended) / 1000, file };
    };
    const first = await project('10');
    const second = await project('20');
    // same images, same method: the same file, rewritten; the page still shows the new points
    expect(second.file).toBe(first.file);
    expect(second.seconds).toBeLessThan(2);
  }, 240_000);

  it('keeps both evaluations with their limits, shows per-class accuracy and the confusion matrix', async () => {
    await go(`runs?run=${runId}`);
    const detail = page.getByTestId('run-detail');
    await detail.waitFor({ timeout: 20_000 });
    const evaluate = async (train: string, test: string) => {
      await detail.getByRole('checkbox', { name: 'SimCLR, linear evaluation' }).uncheck();
      await detail.getByRole('checkbox', { name: 'SimCLR, kNN' }).check();
      await detail.getByLabel('Train images').fill(train);
      await detail.getByLabel('Test images').fill(test);
      await page.getByTestId('eval-launch').click();
    };
    await evaluate('512', '200');
    const history = page.getByTestId('eval-history');
    await expect.poll(() => history.locator('tbody tr').count(), { timeout: 120_000 }).toBe(1);
    await evaluate('256', '100');
    await expect.poll(() => history.locator('tbody tr').count(), { timeout: 120_000 }).toBe(2);
    const rows = await history.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent!.trim())));
    // newest first: train and test image counts and the limits are on each row
    expect(rows.map((r) => [r[3], r[4], r[5]])).toEqual([
      ['256', '100', 'first 256 train, first 100 test'],
      ['512', '200', 'first 512 train, first 200 test'],
    ]);
    // the newer (both limited) is in the table; the older one can be chosen instead
    const shown = () => history.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-shown')));
    expect(await shown()).toEqual(['true', 'false']);
    const olderTop1 = rows[1]![2]!;
    await history.locator('tbody tr').nth(1).getByTestId('eval-select').click();
    await expect.poll(shown).toEqual(['false', 'true']);
    const knnRow = page.getByTestId('eval-report').locator('tr', { hasText: 'SimCLR, kNN' });
    await expect.poll(() => knnRow.locator('td.strong').textContent(), { timeout: 20_000 }).toBe(olderTop1);

    // per class and the confusion matrix of the newest record: 10 classes, 100 test images
    await history.locator('tbody tr').first().getByTestId('eval-details').click();
    const confusion = page.getByTestId('eval-confusion');
    await confusion.waitFor();
    expect(await confusion.locator('tbody tr').count()).toBe(10);
    const cells = (await confusion.locator('tbody td').allTextContents()).map(Number);
    expect(cells.reduce((a, b) => a + b, 0)).toBe(100);
    expect(await page.getByTestId('eval-per-class').locator('tbody tr').count()).toBe(10);
    await page.getByTestId('eval-class-detail').evaluate((el) => el.scrollIntoView({ block: 'center' }));
    await shot(page, 'runs-eval-history', { keepScroll: true });
  }, 300_000);

  it('a reload mid-run keeps the full charts, the form and the designer’s pipeline; cancel is not a failure', async () => {
    // an edited preset is marked, and survives the reload
    await go('augment');
    await page.locator('[data-op="grayscale"]').click();
    await page.getByTestId('param-p').fill('1');
    await page.getByTestId('param-p').press('Enter');
    await expect.poll(() => page.getByTestId('pipeline-origin').getAttribute('data-modified')).toBe('true');

    const monitor = await startTrain('truth-long', { trainLimit: '4096', epochs: '3' });
    const loss = page.getByTestId('chart-loss');
    await expect.poll(async () => Number(await loss.getAttribute('data-points')), { timeout: 120_000 }).toBeGreaterThanOrEqual(5);
    const before = Number(await loss.getAttribute('data-points'));

    await page.reload();
    await expect.poll(async () => (await monitor.locator('h2').textContent())?.trim(), { timeout: 30_000 }).toMatch(/truth-long$/);
    // the whole history, from step 1, no gap: not only the points since the reload
    await expect.poll(async () => Number(await loss.getAttribute('data-points')), { timeout: 20_000 }).toBeGreaterThanOrEqual(before);
    expect(await loss.getAttribute('data-first-x')).toBe('1');
    expect(Number(await loss.getAttribute('data-points'))).toBe(Number(await loss.getAttribute('data-last-x')));
    // the form as it was typed, and the open dataset in its Dataset field
    expect(await page.getByTestId('f-runName').inputValue()).toBe('truth-long');
    expect(await page.getByTestId('f-trainLimit').inputValue()).toBe('4096');
    expect(await page.getByTestId('f-dataset').inputValue()).not.toBe('');
    expect(await page.getByTestId('form-problems').count()).toBe(0);

    // cancel before the first checkpoint: cancelled (not red), the bar stops, Retry with changes
    await page.getByTestId('train-cancel').click();
    await expect.poll(() => monitor.getAttribute('data-phase'), { timeout: 30_000 }).toBe('cancelled');
    expect(await page.getByTestId('job-state').textContent()).toBe('cancelled');
    expect(await monitor.getByRole('alert').count()).toBe(0);
    expect(await monitor.locator('.indeterminate').count()).toBe(0);
    expect(await monitor.getByRole('progressbar').getAttribute('data-live')).toBe('false');
    expect(await page.getByTestId('progress-message').textContent()).toMatch(/cancelled as asked/);
    expect(await page.getByTestId('train-resume').count()).toBe(0);
    await shot(page, 'train-cancelled');
    await page.getByTestId('train-retry').click();
    await expect.poll(() => page.getByTestId('f-runName').inputValue()).toBe('truth-long (retry)');
    expect(await page.getByTestId('f-trainLimit').inputValue()).toBe('4096');

    await go('augment');
    await expect.poll(() => page.getByTestId('pipeline-origin').getAttribute('data-modified')).toBe('true');
    expect(await page.getByTestId('param-p').inputValue()).toBe('1');
    await page.getByTestId('preset-apply').click();
    await expect.poll(() => page.getByTestId('pipeline-origin').getAttribute('data-modified')).toBe('false');

    // the server-side library: saved from the designer, offered by the Train form
    await page.locator('details', { hasText: 'Saved pipelines' }).locator('summary').click();
    await page.getByTestId('library-name').fill('e2e-lib');
    await page.getByTestId('library-save').click();
    await expect.poll(() => page.getByTestId('library-list').locator('li[data-name="e2e-lib"]').count()).toBe(1);
    await go('train');
    await expect.poll(() => page.locator('[data-testid="train-form"] optgroup[label="Saved pipelines"] option[value="e2e-lib"]').count()).toBe(1);
  }, 300_000);

  it('notices a server that went away, reattaches when it is back, and explains a changed token', async () => {
    const monitor = await startTrain('truth-gone', { trainLimit: '4096', epochs: '3' });
    await expect.poll(async () => Number(await page.getByTestId('chart-loss').getAttribute('data-points')), { timeout: 120_000 }).toBeGreaterThanOrEqual(2);

    await server.stop();
    const banner = page.getByTestId('connection-banner');
    await expect.poll(() => banner.getAttribute('data-state'), { timeout: 20_000 }).toBe('gone');
    expect(await banner.textContent()).toMatch(/Server gone/);
    // the monitor does not pretend: no animation, no live Cancel, a note that the state is old
    expect(await page.getByTestId('monitor-stale').count()).toBe(1);
    expect(await monitor.locator('.indeterminate').count()).toBe(0);
    expect(await page.getByTestId('train-cancel').isDisabled()).toBe(true);
    await shot(page, 'server-gone');

    // same data root, same port: the same token, so the tab reconnects by itself
    server = await serve({ dataRoot, port });
    await page.getByTestId('connection-retry').click();
    await expect.poll(() => banner.count(), { timeout: 20_000 }).toBe(0);
    // the job died with the old server: shown as interrupted, not running
    await expect.poll(() => monitor.getAttribute('data-phase'), { timeout: 20_000 }).toBe('interrupted');
    expect(await monitor.locator('.indeterminate').count()).toBe(0);

    // a new token: the tab's is refused, and the page says what happened and what to do
    await server.stop();
    server = await serve({ dataRoot, port, args: ['--new-token'] });
    await page.reload();
    const refused = page.getByTestId('token-refused');
    await refused.waitFor({ timeout: 20_000 });
    expect(await refused.textContent()).toMatch(/token changed/);
    expect(await refused.textContent()).toMatch(/simclr-workbench serve/);
    await shot(page, 'token-refused', { keepScroll: true });
    // the new URL works
    await page.goto(server.url);
    // only the fragment differs from the page shown: load it for real, as opening the URL in a new tab would
    await page.reload();
    await expect.poll(() => page.getByTestId('current-dataset').textContent(), { timeout: 30_000 }).toContain('CIFAR-10');
  }, 240_000);
});
