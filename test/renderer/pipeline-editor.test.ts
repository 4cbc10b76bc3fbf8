import { fireEvent, render, screen, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { pipelinePreset, type Pipeline } from '../../src/shared/pipeline';
import PipelineEditor from '../../src/renderer/src/views/augment/PipelineEditor.svelte';

/** Mount the editor the way the designer does: each change replaces the pipeline it shows. */
function mount(initial: Pipeline) {
  const state = { pipeline: initial, changes: 0 };
  const view = render(PipelineEditor, {
    props: {
      pipeline: initial,
      onchange: (p: Pipeline) => {
        state.pipeline = p;
        state.changes++;
        void view.rerender({ pipeline: p });
      },
    },
  });
  return { state, view };
}

const names = (p: Pipeline) => p.ops.map((o) => o.op);
const tick = () => new Promise((r) => setTimeout(r, 0));

describe('pipeline editor', () => {
  it('lists the ops in order and edits the selected one', async () => {
    const { state } = mount(pipelinePreset('SimCLR CIFAR'));
    const rows = screen.getAllByRole('option');
    expect(rows.map((r) => r.getAttribute('data-op'))).toEqual(['randomResizedCrop', 'horizontalFlip', 'colorJitter', 'grayscale']);

    await fireEvent.click(rows[2]!);
    const editor = screen.getByTestId('op-editor');
    expect(within(editor).getByRole('heading').textContent).toBe('Colour jitter');
    const strength = within(editor).getByTestId('param-strength');
    await fireEvent.change(strength, { target: { value: '1.25' } });
    expect(state.pipeline.ops[2]).toMatchObject({ op: 'colorJitter', params: { strength: 1.25 } });
  });

  it('reorders with Alt+Arrow keys and with the move buttons', async () => {
    const { state } = mount(pipelinePreset('SimCLR CIFAR'));
    const first = screen.getAllByRole('option')[0]!;
    await fireEvent.keyDown(first, { key: 'ArrowDown', altKey: true });
    expect(names(state.pipeline)).toEqual(['horizontalFlip', 'randomResizedCrop', 'colorJitter', 'grayscale']);
    await tick();
    // the moved op stays selected, so the editor follows it
    expect(within(screen.getByTestId('op-editor')).getByRole('heading').textContent).toBe('Random resized crop');

    await fireEvent.click(screen.getByRole('button', { name: 'Move Grayscale up' }));
    expect(names(state.pipeline)).toEqual(['horizontalFlip', 'randomResizedCrop', 'grayscale', 'colorJitter']);
  });

  it('reorders by dragging one op onto another', async () => {
    const { state } = mount(pipelinePreset('SimCLR CIFAR'));
    const rows = screen.getAllByRole('option');
    await fireEvent.dragStart(rows[3]!, { dataTransfer: { setData() {} } });
    await fireEvent.dragOver(rows[0]!);
    await fireEvent.drop(rows[0]!);
    expect(names(state.pipeline)).toEqual(['grayscale', 'randomResizedCrop', 'horizontalFlip', 'colorJitter']);
  });

  it('enables and disables ops, from the checkbox and with Space', async () => {
    const { state } = mount(pipelinePreset('SimCLR CIFAR'));
    await fireEvent.click(screen.getByRole('checkbox', { name: 'Horizontal flip enabled' }));
    expect(state.pipeline.ops[1]!.enabled).toBe(false);
    await fireEvent.keyDown(screen.getAllByRole('option')[1]!, { key: ' ' });
    expect(state.pipeline.ops[1]!.enabled).toBe(true);
  });

  it('shows schema problems inline and resets an op to its defaults', async () => {
    const { state } = mount(pipelinePreset('SimCLR CIFAR'));
    const editor = () => screen.getByTestId('op-editor');
    // random resized crop: low area above high is refused by the shared schema
    await fireEvent.change(within(editor()).getByTestId('param-scale-low'), { target: { value: '0.9' } });
    await fireEvent.change(within(editor()).getByTestId('param-scale-high'), { target: { value: '0.5' } });
    expect(state.pipeline.ops[0]!.params).toMatchObject({ scale: [0.9, 0.5] });
    expect(within(editor()).getByRole('alert').textContent).toMatch(/low <= high/);
    expect(screen.getByTestId('pipeline-invalid').textContent).toMatch(/1 problem/);

    await fireEvent.click(within(editor()).getByTestId('op-reset'));
    expect(state.pipeline.ops[0]!.params).toMatchObject({ scale: [0.08, 1] });
    expect(screen.queryByTestId('pipeline-invalid')).toBeNull();
  });

  it('refuses text that is not a number without changing the pipeline', async () => {
    const { state } = mount(pipelinePreset('SimCLR CIFAR'));
    const before = state.changes;
    await fireEvent.change(screen.getByTestId('param-p'), { target: { value: 'abc' } });
    expect(state.changes).toBe(before);
    expect(screen.getByRole('alert').textContent).toBe('enter a number');
  });

  it('removes ops, and says what an empty pipeline does', async () => {
    const { state } = mount(pipelinePreset('SimCLR CIFAR'));
    for (const name of ['Random resized crop', 'Horizontal flip', 'Colour jitter', 'Grayscale']) {
      await fireEvent.click(screen.getByRole('button', { name: `Remove ${name}` }));
    }
    expect(state.pipeline.ops).toEqual([]);
    expect(screen.getByText(/No ops: views are the images resized to 32px/)).toBeTruthy();
  });
});
