import { render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import SettingsView from '../../src/renderer/src/views/settings/SettingsView.svelte';
import { app } from '../../src/renderer/src/lib/app-state.svelte';
import { SettingsSchema } from '../../src/shared/settings';

// Settings' About line: the app version, the shell, and the backend and device (adapter) the engine uses.
describe('Settings: About', () => {
  it('shows the version and the backend in use with its device', () => {
    app.settings = SettingsSchema.parse({});
    app.info = { name: 'SimCLR Workbench', version: '0.1.0', shell: 'electron', dataRoot: '/d', platform: 'linux', suggestedDatasets: [] } as unknown as typeof app.info;
    app.backend = { name: 'tensorflow', tfjsVersion: '4.22.0', source: '@tensorflow/tfjs-node', device: 'CPU: AMD EPYC', gpu: false, threads: 2, reason: 'loaded', attempts: [] };
    render(SettingsView);
    const about = screen.getByTestId('about').textContent!.replace(/\s+/g, ' ');
    expect(about).toContain('SimCLR Workbench 0.1.0 · electron · linux');
    expect(about).toContain('backend tensorflow on CPU: AMD EPYC');
  });

  it('leaves the backend out until it is known', () => {
    app.backend = null;
    render(SettingsView);
    expect(screen.getAllByTestId('about').at(-1)!.textContent).not.toContain('backend');
  });
});
