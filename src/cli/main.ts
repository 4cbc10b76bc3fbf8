import { UsageError, type Command } from './args.js';
import { version } from '../service/app-version.js';

interface CommandEntry {
  summary: string;
  /** loaded on use: most commands pull in TensorFlow, which `--help` or `runs list` need not wait for */
  load: () => Promise<Command>;
}

// One entry per subcommand; each lives in ./commands/<name>.ts.
const commands: Record<string, CommandEntry> = {
  backend: {
    summary: 'show the compute backend this machine would use (--backend to override, --json)',
    load: async () => (await import('./commands/backend.js')).backendCommand,
  },
  datasets: {
    summary: 'datasets: list | import <path> | download <id> | info <id|path> | verify <id|file> (--data-root)',
    load: async () => (await import('./commands/datasets.js')).datasetsCommand,
  },
  train: {
    summary: 'pretrain an encoder with SimCLR (config file and/or flags; --resume RUN_DIR)',
    load: async () => (await import('./commands/train.js')).trainCommand,
  },
  eval: {
    summary: 'evaluate a run: linear, kNN, fine-tuning, baselines, transfer; print the reproduction report',
    load: async () => (await import('./commands/eval.js')).evalCommand,
  },
  embed: {
    summary: 'embed a run (or raw pixels) with t-SNE or UMAP, with a thumbnail atlas for the projector',
    load: async () => (await import('./commands/embed.js')).embedCommand,
  },
  runs: {
    summary: 'list, show, compare, tag, delete/restore, export/import training runs',
    load: async () => (await import('./commands/runs.js')).runsCommand,
  },
  serve: {
    summary: 'serve the workbench UI and API to a browser (--port, --host, --data-root, --dataset-dir, --open, --allow-remote, --new-token)',
    load: async () => (await import('./commands/serve.js')).serveCommand,
  },
};

function usage(): string {
  const shown = Object.entries(commands);
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
    return (await (await command.load()).run(rest)) ?? 0;
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
