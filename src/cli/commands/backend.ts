import { initBackend } from '../../engine/backend/index.js';
import { BACKEND_ENV, BACKEND_PREFERENCES } from '../../shared/backend.js';
import { defineCommand, parse } from '../args.js';
import { choices, flagTable } from '../help.js';
import { printResult } from '../output.js';

const HELP = `usage: simclr-workbench backend [--backend NAME] [--json]

Load the compute backend this machine would use and say which, on what device,
with how many threads, and why (the others tried, and why they were skipped).

${flagTable([
  ['--backend NAME', `${choices(BACKEND_PREFERENCES)}; else $${BACKEND_ENV}`, 'auto'],
  ['--json', 'the result as JSON on stdout'],
])}`;

export const backendCommand = defineCommand(HELP, async (argv) => {
  const { values } = parse('backend', argv, { backend: { type: 'string' }, json: { type: 'boolean' } }, false);
  const info = await initBackend(values.backend);
  printResult(!!values.json, info, () =>
    [
      `backend   ${info.name}`,
      `package   ${info.source} (tfjs ${info.tfjsVersion})`,
      `device    ${info.device}`,
      `threads   ${info.threads}`,
      `why       ${info.reason}`,
      ...info.attempts.filter((x) => !x.ok).map((a) => `skipped   ${a.source}: ${a.detail}`),
    ].join('\n'),
  );
});
