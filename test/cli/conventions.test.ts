import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Command } from '../../src/cli/args.js';
import { datasetsCommand } from '../../src/cli/commands/datasets.js';
import { runsCommand } from '../../src/cli/commands/runs.js';
import { BACKEND_PREFERENCES } from '../../src/shared/backend.js';
import { DATA_ROOT_DEFAULT_TEXT } from '../../src/shared/data-root.js';
import { toApiError } from '../../src/engine/jobs/errors.js';
import { DEFAULT_WEIGHT_DECAY, OPTIMIZERS, parseTrainConfig } from '../../src/shared/train-config.js';
import { makeRuns } from '../runs/fixtures.js';
import { shipped } from '../support/shipped.js';

/** The CLI conventions every command keeps (docs/ARCHITECTURE.md, "CLI"), checked on the shipped build. */
const { bin } = shipped();
const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

describe('CLI conventions (built CLI)', () => {
  it('every command and subcommand answers --help on stdout with exit 0', async () => {
    for (const command of ['backend', 'serve', 'train', 'eval', 'embed', 'datasets', 'runs']) {
      const r = cli([command, '--help']);
      expect(r.code, `${command} --help: ${r.err}`).toBe(0);
      expect(r.out, command).toMatch(new RegExp(`^usage: simclr-workbench ${command}`));
      expect(r.err, command).toBe('');
    }
    expect(cli(['help', 'train']).out).toMatch(/^usage: simclr-workbench train/);
    expect(cli(['runs', 'show', '-h']).out).toMatch(/^usage: simclr-workbench runs show ID/);
    // every subcommand (in process: the same modules, without a process start each)
    const subs: [Command, string, string[]][] = [
      [datasetsCommand, 'datasets', ['list', 'import', 'download', 'info', 'verify']],
      [runsCommand, 'runs', ['list', 'show', 'compare', 'tag', 'rename', 'notes', 'rm', 'restore', 'trash', 'export', 'import']],
    ];
    const out: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((s: string) => void out.push(s));
    try {
      for (const [command, name, actions] of subs) {
        for (const action of actions) {
          out.length = 0;
          expect(await command.run([action, '--help']), `${name} ${action} --help`).toBe(0);
          expect(out.join('\n')).toMatch(new RegExp(`^usage: simclr-workbench ${name} ${action}`));
        }
      }
    } finally {
      log.mockRestore();
    }
  });

  it("help text shows the schemas' choices and defaults", () => {
    const train = cli(['train', '--help']).out;
    expect(train).toContain(`--backend NAME     ${BACKEND_PREFERENCES.join(' | ')}`);
    for (const o of OPTIMIZERS) expect(train).toContain(`${o} ${DEFAULT_WEIGHT_DECAY[o] === 1e-6 ? '1e-6' : DEFAULT_WEIGHT_DECAY[o]}`);
    expect(cli(['eval', '--help']).out).toContain(DATA_ROOT_DEFAULT_TEXT);
  });

  it('an unknown flag, command or action names the nearest valid one (usage error, exit 2)', () => {
    const flag = cli(['train', '--epoch', '3']);
    expect(flag.code).toBe(2);
    expect(flag.err).toMatch(/train: unknown option --epoch \(did you mean --epochs\?\)/);
    expect(cli(['eval', 'run', '--protocl', 'knn']).err).toMatch(/did you mean --protocol\?/);
    expect(cli(['runs', 'list', '--stauts', 'completed']).err).toMatch(/did you mean --status\?/);
    const cmd = cli(['trian']);
    expect(cmd.code).toBe(2);
    expect(cmd.err).toMatch(/unknown command "trian" \(did you mean train\?\)/);
    expect(cli(['runs', 'lst']).err).toMatch(/unknown action "lst" \(did you mean list\?\)/);
    expect(cli(['datasets', 'downlaod']).err).toMatch(/did you mean download\?/);
    // nothing close: no guess
    expect(cli(['train', '--zzzzzz']).err).not.toMatch(/did you mean/);
  });

  it('prints validation problems one per line, "path: message", as the API carries them', () => {
    const r = cli(['train', '--dataset', 'cifar10', '--epochs', '1', '--warmup', '5', '--batch', '64', '--train-limit', '32']);
    expect(r.code).toBe(2);
    const lines = r.err.split('\n').map((l) => l.trim());
    expect(lines).toContain('optimizer.warmupEpochs: 5 is longer than epochs (1); lower it or train longer');
    expect(lines).toContain('trainLimit: 32 images is less than one batch (batchSize 64)');
    // the same problems, in the same shape, as an API error (what the UI shows beside each field)
    let thrown: unknown;
    try {
      parseTrainConfig({ dataset: 'cifar10', epochs: 1, batchSize: 64, trainLimit: 32, optimizer: { warmupEpochs: 5 } });
    } catch (err) {
      thrown = err;
    }
    expect(toApiError(thrown).issues).toEqual([
      { path: 'optimizer.warmupEpochs', message: '5 is longer than epochs (1); lower it or train longer' },
      { path: 'trainLimit', message: '32 images is less than one batch (batchSize 64)' },
    ]);
  });

  it('numbers are parsed strictly', () => {
    const r = cli(['train', '--dataset', 'cifar10', '--epochs', '0x10']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--epochs expects a number, got "0x10"/);
  });
});

describe('CLI: --json and Ctrl+C on eval (built CLI)', () => {
  let dataRoot: string;
  let runDir: string;
  beforeAll(async () => {
    const made = await makeRuns([{}]);
    dataRoot = made.dataRoot;
    runDir = path.join(dataRoot, 'runs', made.ids[0]!);
  });
  afterAll(() => fs.rmSync(dataRoot, { recursive: true, force: true }));

  it('--json: the result as one JSON document on stdout, progress as JSON lines on stderr', () => {
    const r = cli(['eval', runDir, '--protocol', 'knn', '--knn-k', '5', '--train-limit', '64', '--test-limit', '32', '--no-save', '--json'], { SIMCLR_DATA_ROOT: dataRoot });
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(r.out);
    expect(report.results.map((x: { protocol: string }) => x.protocol)).toEqual(['knn']);
    const progress = r.err.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    expect(progress.map((e) => e.type)).toContain('start');
    expect(progress.at(-1)).toMatchObject({ type: 'done', protocol: 'knn' });
  });

  it('SIGINT stops an evaluation cleanly: exit 130, nothing saved', async () => {
    const child = spawn(process.execPath, [bin, 'eval', runDir, '--protocol', 'finetune', '--epochs', '50', '--train-limit', '64', '--test-limit', '32', '--json'], {
      env: { ...process.env, SIMCLR_DATA_ROOT: dataRoot },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    let out = '';
    let sent = false;
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
      if (!sent && /"type":"train"/.test(err)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((r) => child.once('close', (c) => r(c)));
    expect(sent, err).toBe(true);
    expect(code, err).toBe(130);
    expect(err).toMatch(/SIGINT: stopping evaluation/);
    expect(out).toBe('');
    expect(fs.existsSync(path.join(runDir, 'eval.json'))).toBe(false);
  });
});
