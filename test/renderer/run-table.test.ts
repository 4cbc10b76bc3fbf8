import { fireEvent, render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { RunSummary } from '../../src/shared/runs';
import RunTable from '../../src/renderer/src/views/runs/RunTable.svelte';
import { EMPTY_FILTER, type RunFilter } from '../../src/renderer/src/views/runs/run-table';

function run(id: string, over: Partial<RunSummary>): RunSummary {
  return {
    id,
    name: id,
    status: 'completed',
    datasetId: 'cifar10',
    datasetName: 'CIFAR-10',
    model: 'tiny (ResNet-18 x0.25)',
    epochs: 2,
    epochsCompleted: 2,
    batchSize: 32,
    optimizer: 'lars',
    backend: 'tensorflow',
    startedAt: '2026-01-01T10:00:00.000Z',
    endedAt: '2026-01-01T10:01:00.000Z',
    tags: [],
    finalLoss: 4,
    knnAccuracy: 0.2,
    linearAccuracy: null,
    warnings: [],
    ...over,
  };
}

const RUNS = [
  run('a-small', { name: 'small batch', knnAccuracy: 0.31, finalLoss: 3.9, startedAt: '2026-01-01T10:00:00.000Z', tags: ['baseline'] }),
  run('b-big', { name: 'big batch', knnAccuracy: 0.42, finalLoss: 3.5, startedAt: '2026-01-02T10:00:00.000Z', datasetId: 'cifar100', datasetName: 'CIFAR-100' }),
  run('c-none', { name: 'crashed early', status: 'failed', knnAccuracy: null, finalLoss: null, startedAt: '2026-01-03T10:00:00.000Z' }),
];

function mount(filter: RunFilter = EMPTY_FILTER, selected: string[] = []) {
  const calls = { toggled: [] as [string, boolean][], opened: [] as string[] };
  const view = render(RunTable, {
    props: { runs: RUNS, filter, selected, ontoggle: (id: string, on: boolean) => calls.toggled.push([id, on]), onopen: (id: string) => calls.opened.push(id) },
  });
  return { calls, view };
}

const order = () =>
  screen
    .getAllByRole('row')
    .slice(1)
    .map((r) => r.getAttribute('data-run-id'));

describe('run table', () => {
  it('starts newest first and sorts by a column header, flipping on a second click', async () => {
    mount();
    expect(order()).toEqual(['c-none', 'b-big', 'a-small']);
    await fireEvent.click(screen.getByTestId('sort-knnAccuracy'));
    // numbers sort high first; a run without a kNN score goes last either way
    expect(order()).toEqual(['b-big', 'a-small', 'c-none']);
    expect(screen.getByTestId('sort-knnAccuracy').closest('th')!.getAttribute('aria-sort')).toBe('descending');
    await fireEvent.click(screen.getByTestId('sort-knnAccuracy'));
    expect(order()).toEqual(['a-small', 'b-big', 'c-none']);
    await fireEvent.click(screen.getByTestId('sort-name'));
    expect(order()).toEqual(['b-big', 'c-none', 'a-small']);
  });

  it('filters by text (name, id or tag), status and dataset', async () => {
    const { view } = mount({ ...EMPTY_FILTER, text: 'batch' });
    expect(order()).toEqual(['b-big', 'a-small']);
    await view.rerender({ filter: { ...EMPTY_FILTER, text: 'baseline' } });
    expect(order()).toEqual(['a-small']);
    await view.rerender({ filter: { ...EMPTY_FILTER, status: 'failed' } });
    expect(order()).toEqual(['c-none']);
    await view.rerender({ filter: { ...EMPTY_FILTER, dataset: 'cifar100' } });
    expect(order()).toEqual(['b-big']);
    await view.rerender({ filter: { ...EMPTY_FILTER, text: 'nothing like this' } });
    expect(screen.getByText('No runs match the filter.')).toBeTruthy();
  });

  it('shows missing scores as a dash and formats the rest', () => {
    mount();
    const row = (id: string) => screen.getAllByRole('row').find((r) => r.getAttribute('data-run-id') === id)!;
    const tds = (id: string): string[] => [...row(id).children].map((td) => String(td.textContent).trim());
    expect(tds('b-big').slice(5, 9)).toEqual(['2/2', '3.5', '42.0%', '–']);
    expect(tds('c-none').slice(6, 8)).toEqual(['–', '–']);
  });

  it('reports ticks for comparison and opening a run', async () => {
    const { calls } = mount(EMPTY_FILTER, ['a-small']);
    expect(screen.getByRole('checkbox', { name: 'Select small batch for comparison' }).checked).toBe(true);
    await fireEvent.click(screen.getByRole('checkbox', { name: 'Select big batch for comparison' }));
    await fireEvent.click(screen.getByRole('button', { name: 'Open crashed early' }));
    expect(calls.toggled).toEqual([['b-big', true]]);
    expect(calls.opened).toEqual(['c-none']);
  });
});
