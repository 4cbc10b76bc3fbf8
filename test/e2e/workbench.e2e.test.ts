/**
 * The workbench in a real browser against `simclr-workbench serve`: open the
 * shared CIFAR-10 subset and filter it, change the pipeline and watch the
 * preview change, train two tiny runs and follow their charts to the end,
 * embed one and select points, compare the two. Saves a screenshot of every
 * view to docs/screenshots/ on the way.
 *
 * Tiny on purpose (256 images, batch 32, 2 epochs; 300 points for t-SNE) so
 * the whole file stays around three minutes on two shared cores.
 */
import fs from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, launchBrowser, openPage, serve, shot, tmpDir, type Served } from './harness.js';

const haveChromium = fs.existsSync(CHROMIUM);

/** Whether a data:image/png URL holds a grey image (R = G = B everywhere). */
async function isGrey(src: string): Promise<boolean> {
  const { data, info } = await sharp(Buffer.from(src.replace(/^data:image\/png;base64,/, ''), 'base64'))
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels === 1) return true;
  for (let i = 0; i < data.length; i += info.channels) if (data[i] !== data[i + 1] || data[i + 1] !== data[i + 2]) return false;
  return true;
}
if (!haveChromium) console.warn(`e2e skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);

describe.skipIf(!haveChromium)('workbench in the browser (server mode)', () => {
  let server: Served;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  let base: string;
  let dataRoot: string;
  const runIds: string[] = [];

  beforeAll(async () => {
    dataRoot = tmpDir('root');
    // No --dataset-dir: the shared CIFAR subsets are suggested and readable on their own.
    server = await serve({ dataRoot });
    browser = await launchBrowser();
    ({ page, problems } = await openPage(browser, server.url));
    base = server.url.replace(/#token=.*$/, '');
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (dataRoot) fs.rmSync(dataRoot, { recursive: true, force: true });
  });

  async function go(view: string) {
    await page.goto(`${base}#/${view}`);
  }

  it('opens on the shared CIFAR-10 subset and filters it by class and split', async () => {
    await expect.poll(() => page.getByTestId('dataset-title').textContent(), { timeout: 60_000 }).toContain('CIFAR-10');
    await expect.poll(() => page.getByTestId('grid-total').textContent(), { timeout: 60_000 }).toBe('10,000 images');
    expect(await page.getByTestId('backend-badge').textContent()).toMatch(/tensorflow|webgpu|wasm|cpu/);

    // class 3 of CIFAR-10 is "cat"; its count in the filter matches the summary
    const catOption = await page.getByTestId('class-filter').locator('option[value="3"]').textContent();
    const catCount = Number(/\((\d+)\)/.exec(catOption!)![1]);
    await page.getByTestId('class-filter').selectOption('3');
    await expect.poll(() => page.getByTestId('grid-total').textContent()).toBe(`${catCount.toLocaleString('en-US')} images`);
    await expect.poll(() => page.locator('[data-testid="thumb-grid"] button[data-label]').count()).toBeGreaterThan(20);
    const labels = await page.locator('[data-testid="thumb-grid"] button[data-label]').evaluateAll((els) => els.map((e) => e.getAttribute('data-label')));
    expect(new Set(labels)).toEqual(new Set(['cat']));

    await page.locator('[data-testid="thumb-grid"] button[data-pos="2"]').click();
    await expect.poll(() => page.getByTestId('inspector-label').textContent()).toContain('cat');
    await shot(page, 'datasets');

    await page.getByTestId('split-filter').selectOption('test');
    await expect.poll(() => page.getByTestId('grid-total').textContent()).toMatch(/^\d+ images$/);
    const testCats = Number((await page.getByTestId('grid-total').textContent())!.split(' ')[0]);
    expect(testCats).toBeGreaterThan(0);
    expect(testCats).toBeLessThan(catCount);
  }, 120_000);

  it('redraws the preview when a pipeline parameter changes, and explains a view', async () => {
    await go('augment');
    const grid = page.getByTestId('preview-grid');
    await expect.poll(() => grid.getAttribute('data-loads'), { timeout: 60_000 }).toBe('1');
    const srcs = () => page.locator('[data-testid="preview-view"] img').evaluateAll((els) => els.map((e) => e.getAttribute('src')));
    const before = await srcs();
    expect(before).toHaveLength(4 * 2 * 2);

    // grayscale always on: every view loses its colour
    await page.locator('[data-op="grayscale"]').click();
    await page.getByTestId('param-p').fill('1');
    await page.getByTestId('param-p').press('Enter');
    await expect.poll(() => grid.getAttribute('data-loads'), { timeout: 30_000 }).toBe('2');
    const after = await srcs();
    expect(after.filter((s, i) => s !== before[i]).length).toBeGreaterThan(0);
    const greys = await Promise.all(after.map((src) => isGrey(src!)));
    expect(greys.every(Boolean)).toBe(true);

    // a bad value is refused inline and the preview keeps the last valid pipeline
    await page.locator('[data-op="randomResizedCrop"]').click();
    await page.getByTestId('param-scale-low').fill('0.9');
    await page.getByTestId('param-scale-low').press('Enter');
    await page.getByTestId('param-scale-high').fill('0.5');
    await page.getByTestId('param-scale-high').press('Enter');
    await expect.poll(() => page.getByTestId('pipeline-invalid').isVisible()).toBe(true);
    expect(await page.getByTestId('op-editor').getByRole('alert').first().textContent()).toMatch(/low <= high/);
    await page.getByTestId('op-reset').click();
    await expect.poll(() => page.getByTestId('pipeline-invalid').count()).toBe(0);

    // re-rolling the seed draws new views
    const seedBefore = await grid.getAttribute('data-seed');
    await page.getByTestId('reroll').click();
    await expect.poll(() => grid.getAttribute('data-seed'), { timeout: 30_000 }).not.toBe(seedBefore);

    await page.getByTestId('preview-view').first().click();
    await expect.poll(() => page.getByTestId('crop-box').count()).toBe(1);
    expect(await page.getByTestId('view-detail').textContent()).toMatch(/Random resized crop.*yes/s);
    await shot(page, 'augmentations');
  }, 120_000);

  async function train(name: string, fields: Record<string, string>) {
    await go('train');
    const form = page.getByTestId('train-form');
    await form.getByTestId('f-runName').fill(name);
    for (const [id, value] of Object.entries({ trainLimit: '256', epochs: '2', batchSize: '32', knnK: '20', knnTestLimit: '200', ...fields })) {
      await form.getByTestId(`f-${id}`).fill(value);
    }
    await expect.poll(() => page.getByTestId('form-problems').count()).toBe(0);
    await page.getByTestId('train-start').click();
    const monitor = page.getByTestId('train-monitor');
    // the monitor follows the new job: its label is the run name until the run id is known
    await expect.poll(async () => (await monitor.locator('h2').textContent())?.trim(), { timeout: 20_000 }).toMatch(new RegExp(`${name}$`));
    return monitor;
  }

  it('trains a tiny run with live charts that reach the end', async () => {
    // an invalid field is named before anything starts
    await go('train');
    await page.getByTestId('f-batchSize').fill('1');
    await expect.poll(() => page.getByTestId('form-problems').textContent()).toContain('Batch size: NT-Xent needs at least 2 images per batch');
    expect(await page.getByTestId('train-start').isDisabled()).toBe(true);

    const monitor = await train('e2e-a', { temperature: '0.5' });
    // mid-run the charts already have points
    await expect.poll(async () => Number(await page.getByTestId('chart-loss').getAttribute('data-points')), { timeout: 90_000 }).toBeGreaterThan(0);
    await expect.poll(() => monitor.getAttribute('data-state'), { timeout: 150_000 }).toBe('succeeded');
    // 256 images / batch 32 = 8 steps per epoch, 2 epochs
    await expect.poll(() => page.getByTestId('chart-loss').getAttribute('data-last-x'), { timeout: 20_000 }).toBe('16');
    expect(await page.getByTestId('chart-lr').getAttribute('data-points')).toBe('16');
    expect(await page.getByTestId('chart-acc').getAttribute('data-points')).toBe('16');
    expect(await page.getByTestId('chart-ips').getAttribute('data-points')).toBe('16');
    expect(await page.getByTestId('chart-knn').getAttribute('data-last-x')).toBe('2');
    expect(await monitor.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('100');
    expect(await page.getByTestId('job-log').textContent()).not.toBe('');
    runIds.push((await monitor.locator('h2').textContent())!.trim());
    await shot(page, 'train');

    // a second run, different temperature and batch, for the comparison
    const second = await train('e2e-b', { temperature: '0.2', batchSize: '64', epochs: '1', knnK: '10' });
    await expect.poll(() => second.getAttribute('data-state'), { timeout: 150_000 }).toBe('succeeded');
    runIds.push((await second.locator('h2').textContent())!.trim());
    expect(runIds[0]).toMatch(/e2e-a$/);
    expect(runIds[1]).toMatch(/e2e-b$/);
  }, 360_000);

  it("computes a run's embedding and selects points with a box and a lasso", async () => {
    await go(`embeddings?run=${runIds[0]}`);
    await page.getByTestId('embed-n').fill('300');
    await page.getByTestId('embed-iterations').fill('600');
    await page.getByTestId('embed-perplexity').fill('20');
    await page.getByTestId('embed-start').click();
    const scatter = page.getByTestId('scatter');
    await scatter.waitFor({ timeout: 120_000 });
    await expect.poll(() => page.getByTestId('legend').locator('button[data-class]').count()).toBe(10);

    const box = (await scatter.boundingBox())!;
    const at = (fx: number, fy: number) => [box.x + box.width * fx, box.y + box.height * fy] as const;
    await page.mouse.move(...at(0.05, 0.05));
    await page.mouse.down();
    await page.mouse.move(...at(0.6, 0.7), { steps: 6 });
    await page.mouse.up();
    await expect.poll(async () => Number(await page.getByTestId('selection-count').textContent())).toBeGreaterThan(0);
    const boxed = Number(await page.getByTestId('selection-count').textContent());
    await expect.poll(() => page.getByTestId('selection').locator('[role="img"]').count()).toBe(Math.min(boxed, 300));

    // a class hidden in the legend cannot be selected
    await page.getByTestId('legend').locator('button[data-class="cat"]').click();
    expect(await page.getByTestId('legend').locator('button[data-class="cat"]').getAttribute('aria-pressed')).toBe('false');

    await page.getByTestId('mode-lasso').click();
    const lasso = [at(0.5, 0.1), at(0.95, 0.5), at(0.5, 0.95), at(0.05, 0.5), at(0.5, 0.1)];
    await page.mouse.move(...lasso[0]!);
    await page.mouse.down();
    for (const p of lasso.slice(1)) await page.mouse.move(...p, { steps: 4 });
    await page.mouse.up();
    await expect.poll(async () => Number(await page.getByTestId('selection-count').textContent())).toBeGreaterThan(0);
    expect(await page.getByTestId('selection').textContent()).not.toMatch(/\bcat \d/);

    // hovering a point shows its image
    for (let i = 0; i < 40 && !(await page.getByTestId('hover-card').count()); i++) {
      await page.mouse.move(...at(0.2 + 0.015 * i, 0.3 + 0.01 * i));
    }
    expect(await page.getByTestId('hover-card').textContent()).toMatch(/test image \d+/);
    await shot(page, 'embeddings');
  }, 180_000);

  it('compares the two runs: overlaid curves and the config diff', async () => {
    await go('runs');
    const table = page.getByTestId('run-table');
    await expect.poll(() => table.locator('tbody tr[data-run-id]').count(), { timeout: 20_000 }).toBe(2);
    for (const id of runIds) await table.locator(`tr[data-run-id="${id}"] input[type="checkbox"]`).check();
    const compare = page.getByTestId('run-compare');
    await compare.waitFor();
    await expect.poll(async () => Number(await page.getByTestId('compare-loss').getAttribute('data-points')), { timeout: 20_000 }).toBe(16 + 4);
    const diff = await page.getByTestId('config-diff').textContent();
    expect(diff).toContain('temperature');
    expect(diff).toContain('batchSize');
    expect(diff).toContain('epochs');

    // by name: e2e-a before e2e-b, then the other way round
    const order = () => table.locator('tbody tr[data-run-id]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-run-id')));
    await page.getByTestId('sort-name').click();
    expect(await order()).toEqual(runIds);
    await page.getByTestId('sort-name').click();
    expect(await order()).toEqual([...runIds].reverse());

    await table.getByRole('button', { name: 'Open e2e-a' }).click();
    // evaluate it (kNN on a slice of the data) and read the result in its report and the comparison
    const detail = page.getByTestId('run-detail');
    await detail.getByRole('checkbox', { name: 'SimCLR, linear evaluation' }).uncheck();
    await detail.getByRole('checkbox', { name: 'SimCLR, kNN' }).check();
    await detail.getByLabel('Train images').fill('512');
    await detail.getByLabel('Test images').fill('200');
    await page.getByTestId('eval-launch').click();
    const knnRow = page.getByTestId('eval-report').locator('tr', { hasText: 'SimCLR, kNN' });
    await expect.poll(() => knnRow.locator('td.strong').textContent(), { timeout: 120_000 }).toMatch(/^\d+\.\d\d$/);
    await expect.poll(() => page.getByTestId('compare-eval').textContent(), { timeout: 20_000 }).toMatch(/knn/);
    await page.getByTestId('eval-report').evaluate((el) => el.scrollIntoView({ block: 'center' }));
    await shot(page, 'runs-evaluation', { keepScroll: true });

    await page.getByTestId('tag-input').fill('baseline');
    await page.getByTestId('tag-input').press('Enter');
    await expect.poll(() => table.locator(`tr[data-run-id="${runIds[0]}"]`).textContent()).toContain('baseline');
    await shot(page, 'runs');

    // trash and undo
    await table.getByRole('button', { name: 'Open e2e-b' }).click();
    await page.getByTestId('run-delete').click();
    await expect.poll(() => table.locator('tbody tr[data-run-id]').count()).toBe(1);
    await page.getByRole('button', { name: 'Undo' }).click();
    await expect.poll(() => table.locator('tbody tr[data-run-id]').count()).toBe(2);

    // clone to retrain: the Train form comes back with the run's settings
    await table.getByRole('button', { name: 'Open e2e-b' }).click();
    await page.getByTestId('run-clone').click();
    await expect.poll(() => page.getByTestId('f-runName').inputValue()).toBe('e2e-b (retrain)');
    expect(await page.getByTestId('f-batchSize').inputValue()).toBe('64');
    expect(await page.getByTestId('f-temperature').inputValue()).toBe('0.2');
    expect(await page.getByTestId('f-epochs').inputValue()).toBe('1');
  }, 180_000);

  it('switches to the dark theme and keeps it', async () => {
    await go('settings');
    await page.getByTestId('theme-dark').check();
    await expect.poll(() => page.locator('html').getAttribute('data-theme')).toBe('dark');
    await shot(page, 'settings');
    await page.reload();
    await expect.poll(() => page.locator('html').getAttribute('data-theme'), { timeout: 20_000 }).toBe('dark');
    await go(`embeddings?run=${runIds[0]}`);
    await page.getByTestId('scatter').waitFor({ timeout: 30_000 });
    await shot(page, 'embeddings-dark');
    expect(problems).toEqual([]);
  }, 120_000);
});
