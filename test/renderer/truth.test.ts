/**
 * The pieces behind issue 22 that need no browser: validation sentences, job
 * phases, chart attempts and history merging, the embedding limits, the
 * Train form's warnings and drafts, and the transport's connection states.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { parseTrainConfig } from '../../src/shared/train-config';
import type { ApiEnvelope } from '../../src/shared/api';
import { clearDraft, loadDraft, saveDraft } from '../../src/renderer/src/lib/drafts';
import { jobPhase, PHASES } from '../../src/renderer/src/lib/job-phase';
import { friendlyMessage, friendlyProblems } from '../../src/renderer/src/lib/messages';
import { checkForm, defaultForm, formWarnings, isTrainForm } from '../../src/renderer/src/lib/train-form';
import { embedLimitProblems } from '../../src/renderer/src/views/embeddings/embed-limits';
import { pipelinePreset } from '../../src/shared/pipeline';

/** The DOM-typed renderer modules, through computed specifiers (checked by the web tsconfig, as in test/server/client.test.ts). */
type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'gone' | 'refused';
interface TrainHistory {
  steps: { globalStep: number; epoch: number; loss: number; lr: number; contrastiveAcc: number; imagesPerSec: number }[];
  knn: [number, number][];
  epochs: [number, number][];
}
let httpTransport: (opts: {
  base: string;
  token: string;
  fetch?: typeof fetch;
  WebSocket?: unknown;
  onStatus?: (s: { state: ConnectionState }) => void;
}) => { onEvent(l: (e: unknown) => void): () => void; invoke(method: string, payload: unknown): Promise<ApiEnvelope>; retryNow(): void };
let splitAttempts: <T extends readonly [number, number]>(points: readonly T[]) => T[][];
let seedHistory: (h: TrainHistory, series: { metric: string; points: [number, number][] }[]) => void;
const apiPath = '../../src/renderer/src/lib/api';
const chartsPath = '../../src/renderer/src/lib/charts';
const jobsPath = '../../src/renderer/src/lib/jobs.svelte';
beforeAll(async () => {
  ({ httpTransport } = await import(/* @vite-ignore */ apiPath));
  ({ splitAttempts } = await import(/* @vite-ignore */ chartsPath));
  ({ seedHistory } = await import(/* @vite-ignore */ jobsPath));
});

describe('validation in people’s words', () => {
  it('turns zod messages into sentences about the field', () => {
    expect(friendlyMessage('epochs', 'Invalid input: expected int, received number')).toBe('Epochs must be a whole number');
    expect(friendlyMessage('temperature', 'Too small: expected number to be >0')).toBe('Temperature must be more than 0');
    expect(friendlyMessage('knn.every', 'Too small: expected number to be >=0')).toBe('kNN monitor interval must be at least 0');
    expect(friendlyMessage('optimizer.baseLr', 'Invalid input: expected number, received NaN')).toBe('Base learning rate: enter a number');
    expect(friendlyMessage('runName', 'Too small: expected string to have >=1 characters')).toBe('Run name must not be empty');
    expect(friendlyMessage('optimizer.name', 'Invalid option: expected one of "lars"|"sgd"|"adamw"')).toBe('Optimiser must be one of lars, sgd, adamw');
    expect(friendlyMessage('ops.2.params.scale', 'low <= high')).toBe('Scale (op 3): low <= high');
  });

  it('the Train form reports every problem as a sentence, none in schema words', () => {
    const check = checkForm({ ...defaultForm('cifar10'), epochs: '0.5', batchSize: '1', temperature: '0' }, pipelinePreset('SimCLR CIFAR'));
    expect([...check.issues.keys()].sort()).toEqual(['batchSize', 'epochs', 'temperature']);
    expect(check.issues.get('epochs')).toBe('Epochs must be a whole number');
    expect(check.issues.get('temperature')).toBe('Temperature must be more than 0');
    for (const m of check.issues.values()) expect(m).not.toMatch(/expected|received|Too small/);
  });

  it('drops duplicate problems (same field, same sentence)', () => {
    expect(friendlyProblems([{ path: 'epochs', message: 'Invalid input: expected int, received number' }, { path: 'epochs', message: 'Invalid input: expected int, received number' }])).toHaveLength(1);
  });

  it('warns, without blocking, on a peak lr above 100 and a warmup longer than half the run', () => {
    const base = { dataset: 'cifar10', epochs: 10, batchSize: 256 };
    expect(formWarnings(parseTrainConfig({ ...base, optimizer: { baseLr: 1 } })).size).toBe(0);
    const w = formWarnings(parseTrainConfig({ ...base, optimizer: { baseLr: 10, lrScaling: 'sqrt', warmupEpochs: 6 } }));
    // 10 x sqrt(256) = 160
    expect(w.get('optimizer.baseLr')).toMatch(/is 160, above 100/);
    expect(w.get('optimizer.warmupEpochs')).toMatch(/6 epochs.*half the run \(10 epochs\)/);
    const check = checkForm({ ...defaultForm('cifar10'), baseLr: '10', batchSize: '256', epochs: '10', warmupEpochs: '6' }, pipelinePreset('SimCLR CIFAR'));
    expect(check.config).not.toBeNull();
    expect(check.warnings.size).toBe(2);
  });
});

describe('job phases', () => {
  it('maps host states and what the page knows to one phase each', () => {
    expect(jobPhase({ state: 'running' })).toBe('running');
    expect(jobPhase({ state: 'running' }, { cancelRequested: true })).toBe('cancelling');
    expect(jobPhase({ state: 'running' }, { lost: true })).toBe('interrupted');
    expect(jobPhase({ state: 'succeeded' })).toBe('completed');
    expect(jobPhase({ state: 'cancelled' })).toBe('cancelled');
    expect(jobPhase({ state: 'crashed' })).toBe('interrupted');
    expect(jobPhase({ state: 'failed' })).toBe('failed');
    // a stop that was asked for is not a failure; an ended job is never live (no animated bar, no Cancel)
    expect(PHASES.cancelled.showsErrorAsFailure).toBe(false);
    for (const p of ['cancelled', 'failed', 'completed', 'interrupted'] as const) expect(PHASES[p].live).toBe(false);
  });
});

describe('charts', () => {
  it('splits a run’s attempts where the step count starts again', () => {
    const pts: [number, number][] = [[1, 5], [2, 4], [3, 3], [1, 5.1], [2, 4.2], [3, 3.1], [4, 2]];
    expect(splitAttempts(pts)).toEqual([pts.slice(0, 3), pts.slice(3)]);
    expect(splitAttempts([])).toEqual([]);
  });

  it('seeds a live history from metrics.jsonl without losing the live points or duplicating steps', () => {
    const h: TrainHistory = { steps: [{ globalStep: 9, epoch: 1, loss: 0.9, lr: 0.1, contrastiveAcc: 0.5, imagesPerSec: 10 }], knn: [], epochs: [] };
    seedHistory(h, [
      { metric: 'loss', points: [[1, 3], [2, 2.5], [9, 0.95]] },
      { metric: 'lr', points: [[1, 0.01], [2, 0.02], [9, 0.1]] },
      { metric: 'knnAccuracy', points: [[1, 0.2]] },
      { metric: 'meanLoss', points: [[1, 2.2]] },
    ]);
    expect(h.steps.map((s) => [s.globalStep, s.loss])).toEqual([[1, 3], [2, 2.5], [9, 0.95]]);
    expect(h.steps[1]!.lr).toBe(0.02);
    expect(h.knn).toEqual([[1, 0.2]]);
    expect(h.epochs).toEqual([[1, 2.2]]);
  });
});

describe('embedding limits', () => {
  it('perplexity must be below the number of points (the engine’s rule), neighbours too', () => {
    expect(embedLimitProblems({ method: 'tsne', perplexity: 5000 }, 1000).get('perplexity')).toMatch(/below the number of points \(1000\)/);
    expect(embedLimitProblems({ method: 'tsne', perplexity: 30 }, 1000).size).toBe(0);
    expect(embedLimitProblems({ method: 'umap', neighbors: 15 }, 10).get('neighbors')).toMatch(/below the number of points \(10\)/);
    expect(embedLimitProblems({ method: 'tsne', perplexity: 5000 }, null).size).toBe(0);
  });
});

describe('drafts', () => {
  it('keeps a draft per data root and drops one that no longer has the form’s shape', () => {
    const form = { ...defaultForm('cifar10'), runName: 'mine', epochs: '7' };
    saveDraft('train-form', '/a', form);
    saveDraft('train-form', '/b', { ...form, runName: 'other' });
    expect(loadDraft('train-form', '/a', isTrainForm)?.runName).toBe('mine');
    expect(loadDraft('train-form', '/b', isTrainForm)?.runName).toBe('other');
    localStorage.setItem('simclr-workbench-draft:train-form:/c', '{"runName": 3');
    expect(loadDraft('train-form', '/c', isTrainForm)).toBeNull();
    saveDraft('train-form', '/d', { runName: 'x' });
    expect(loadDraft('train-form', '/d', isTrainForm)).toBeNull();
    clearDraft('train-form', '/a');
    expect(loadDraft('train-form', '/a', isTrainForm)).toBeNull();
  });
});

describe('connection states', () => {
  /** A WebSocket stand-in the test opens and closes. */
  class FakeSocket {
    static last: FakeSocket | null = null;
    onopen: (() => void) | null = null;
    onclose: (() => void) | null = null;
    onmessage: ((m: MessageEvent) => void) | null = null;
    constructor(readonly url: string) {
      FakeSocket.last = this;
    }
    close() {}
  }

  it('connected -> reconnecting -> gone while the server is down, back to connected, and refused on 401', async () => {
    let mode: 'down' | 'up' | 'refuse' = 'up';
    const statuses: ConnectionState[] = [];
    const fakeFetch = (async () => {
      if (mode === 'down') throw new Error('connection refused');
      if (mode === 'refuse') return new Response('{"ok":false,"error":{"code":"unauthorized","message":"wrong token"}}', { status: 401 });
      return new Response('{"ok":true,"result":{}}', { status: 200 });
    }) as typeof fetch;
    const t = httpTransport({ base: 'http://127.0.0.1:1', token: 't', fetch: fakeFetch, WebSocket: FakeSocket as unknown as typeof WebSocket, onStatus: (s) => statuses.push(s.state) });
    t.onEvent(() => {});
    FakeSocket.last!.onopen!();
    expect(statuses.at(-1)).toBe('connected');

    mode = 'down';
    const first = FakeSocket.last!;
    first.onclose!();
    expect(statuses.at(-1)).toBe('reconnecting');
    // keep failing past the "gone" threshold (retry now skips the backoff wait)
    const start = Date.now();
    while (statuses.at(-1) !== 'gone' && Date.now() - start < 15_000) {
      t.retryNow();
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(statuses.at(-1)).toBe('gone');

    mode = 'up';
    t.retryNow();
    await new Promise((r) => setTimeout(r, 20));
    expect(FakeSocket.last).not.toBe(first);
    FakeSocket.last!.onopen!();
    expect(statuses.at(-1)).toBe('connected');

    mode = 'refuse';
    const r = await t.invoke('app.info', {});
    expect(r.ok).toBe(false);
    expect(statuses.at(-1)).toBe('refused');
  }, 20_000);
});
