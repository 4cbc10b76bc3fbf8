import { backendCommand } from './commands/backend.js';
import { trainCommand } from './commands/train.js';
import { datasetsCommand } from './commands/datasets.js';
import { serveCommand } from './commands/serve.js';
import { workerCommand } from './commands/worker.js';
import { runsCommand } from './commands/runs.js';
import { evalCommand } from './commands/eval.js';
import { embedCommand } from './commands/embed.js';
import { UsageError, type Command } from './cli-args.js';
import { version } from './version.js';

// One entry per subcommand; each lives in ./commands/<name>.ts.
const commands: Record<string, Command> = {
  backend: backendCommand,
  train: trainCommand,
  datasets: datasetsCommand,
  serve: serveCommand,
  worker: workerCommand,
  runs: runsCommand,
  eval: evalCommand,
  embed: embedCommand,
};

function usage(): string {
  const shown = Object.entries(commands).filter(([, c]) => !c.hidden);
  const width = Math.max(...shown.map(([k]) => k.length));
  const lines = shown.map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `simclr-workbench ${version}\n\nusage: simclr-workbench <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nglobal: --version, --help; SIMCLR_BACKEND=tensorflow|wasm|cpu picks the backend`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return 0;
  }
  if (name === '--version' || name === '-v') {
    console.log(version);
    return 0;
  }
  const command = commands[name];
  if (!command) {
    console.error(`simclr-workbench: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  try {
    return (await command.run(rest)) ?? 0;
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`simclr-workbench ${err.message}`);
      return 2;
    }
    console.error(`simclr-workbench ${name}: ${err instanceof Error ? err.message : String(err)}`);
    if (process.env.SIMCLR_DEBUG && err instanceof Error) console.error(err.stack);
    return 1;
  }
}
