import { fireEvent, render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { pipelinePreset, type Pipeline } from '../../src/shared/pipeline';
import PipelineToolbar from '../../src/renderer/src/views/augment/PipelineToolbar.svelte';

function mount() {
  const replaced: Pipeline[] = [];
  render(PipelineToolbar, { props: { pipeline: pipelinePreset('SimCLR CIFAR'), onreplace: (p: Pipeline) => replaced.push(p), onadd: () => {} } });
  return replaced;
}

/** Choose a file in the hidden file input, as the Load… button does. */
async function choose(name: string, text: string) {
  const input = screen.getByTestId('pipeline-file');
  const file = new File([text], name, { type: 'application/json' });
  Object.defineProperty(input, 'files', { value: [file], configurable: true });
  await fireEvent.change(input);
  await new Promise((r) => setTimeout(r, 20));
}

describe('pipeline toolbar', () => {
  it('loads a saved pipeline file, filling in defaults', async () => {
    const replaced = mount();
    await choose('mine.pipeline.json', JSON.stringify({ version: 1, name: 'mine', ops: [{ op: 'gaussianBlur', p: 0.3 }] }));
    expect(replaced).toHaveLength(1);
    expect(replaced[0]).toMatchObject({ name: 'mine', outputSize: 32, ops: [{ op: 'gaussianBlur', p: 0.3, enabled: true, params: { sigma: [0.1, 2] } }] });
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('explains a file that is not a pipeline, field by field', async () => {
    const replaced = mount();
    await choose('bad.json', JSON.stringify({ version: 1, ops: [{ op: 'twirl' }, { op: 'cutout', p: 2 }] }));
    expect(replaced).toHaveLength(0);
    const alert = screen.getByRole('alert').textContent!;
    expect(alert).toContain('bad.json is not a valid pipeline');
    expect(alert).toMatch(/unknown op "twirl"/);
    // each problem under its field's path, in words: the probability of op 2 is out of range
    expect(alert).toMatch(/ops\.1\.pProbability \(op 2\) must be at most 1/);
  });

  it('says when the file is not JSON at all', async () => {
    const replaced = mount();
    await choose('notes.txt', 'hello');
    expect(replaced).toHaveLength(0);
    expect(screen.getByRole('alert').textContent).toMatch(/notes\.txt: .*JSON/);
  });

  it('replaces the pipeline with a preset', async () => {
    const replaced = mount();
    const select = screen.getByTestId('preset-select');
    screen.getByRole('option', { name: 'All ops' }).selected = true;
    await fireEvent.change(select);
    await fireEvent.click(screen.getByTestId('preset-apply'));
    expect(replaced[0]!.name).toBe('All ops');
    expect(replaced[0]!.ops).toHaveLength(12);
  });
});
