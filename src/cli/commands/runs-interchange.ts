/**
 * `runs export-weights | import-weights | export-recipe | import-lightning`:
 * weights and recipes to and from PyTorch (src/engine/interchange). The
 * engine is imported on use, so other `runs` actions never load TensorFlow.
 */
import fs from 'node:fs';
import path from 'node:path';
import { defaultDataRoot, RunStore } from '../../engine/runs/index.js';
import { parse, UsageError } from '../args.js';

export const INTERCHANGE_ACTIONS = ['export-weights', 'import-weights', 'export-recipe', 'import-lightning'] as const;

export const INTERCHANGE_HELP = `  export-weights RUN [--out F.safetensors] [--projection] [--checkpoint N]
                        the encoder as safetensors (torchvision names, OIHW) + F.json sidecar
  import-weights F.safetensors [--spec S.json] [--dataset REF] [--name N]
                        a new run whose encoder is these weights (our export or a PyTorch state dict)
  export-recipe RUN|CONFIG.json --target lightning --out DIR
                        a PyTorch Lightning project that trains this exact recipe (torchrun / srun)
  import-lightning DIR [--dataset REF] [--name N]
                        the project's final weights and its CSV loss curve as a new run`;

/** A run id under the data root, or a run directory path. */
function runDir(store: RunStore, ref: string): string {
  if (fs.existsSync(path.join(ref, 'run.json'))) return path.resolve(ref);
  return store.dir(ref);
}

export async function runInterchange(action: (typeof INTERCHANGE_ACTIONS)[number], argv: string[]): Promise<void> {
  const { values, positionals } = parse(`runs ${action}`, argv, {
    'data-root': { type: 'string' },
    json: { type: 'boolean' },
    out: { type: 'string' },
    projection: { type: 'boolean' },
    checkpoint: { type: 'string' },
    spec: { type: 'string' },
    dataset: { type: 'string' },
    name: { type: 'string' },
    target: { type: 'string' },
  });
  const dataRoot = path.resolve(values['data-root'] ?? defaultDataRoot());
  const store = new RunStore(dataRoot);
  const out = (value: unknown, text: () => string) => console.log(values.json ? JSON.stringify(value, null, 2) : text());
  const first = (what: string) => {
    if (!positionals[0]) throw new UsageError(`runs ${action}: expected ${what}\n\n${INTERCHANGE_HELP}`);
    return positionals[0];
  };
  const ix = await import('../../engine/interchange/index.js');
  // imports write a checkpoint through tfjs tensors: pick the backend as every command does
  if (action === 'import-weights' || action === 'import-lightning') await (await import('../../engine/backend/index.js')).initBackend();
  switch (action) {
    case 'export-weights': {
      let checkpoint: number | 'latest' | undefined;
      if (values.checkpoint !== undefined && values.checkpoint !== 'latest') {
        checkpoint = Number(values.checkpoint);
        if (!Number.isInteger(checkpoint) || checkpoint < 0) throw new UsageError(`runs export-weights: --checkpoint expects latest or an epoch number, got "${values.checkpoint}"`);
      }
      const r = ix.exportWeights(runDir(store, first('a run id or directory')), { out: values.out, projection: values.projection, checkpoint });
      out(r, () => [`wrote ${r.file} (${r.tensors} tensors, ${(r.bytes / 1e6).toFixed(2)} MB) and ${r.sidecar}`, ...r.warnings.map((w) => `warning: ${w}`)].join('\n'));
      return;
    }
    case 'import-weights': {
      const r = await ix.importWeights(first('a .safetensors file'), { spec: values.spec, dataset: values.dataset, name: values.name, dataRoot });
      out(r, () =>
        [
          `imported as ${r.runId} (${r.model.arch} x${r.model.width}, ${r.model.stem} stem; described by ${r.specFrom})`,
          `projection head: ${r.projection === 'file' ? 'from the file' : 'not in the file, initialised'}`,
          r.ignored.length ? `ignored ${r.ignored.length} tensor(s) outside the encoder: ${r.ignored.slice(0, 6).join(', ')}${r.ignored.length > 6 ? ', ...' : ''}` : '',
        ]
          .filter(Boolean)
          .join('\n'),
      );
      return;
    }
    case 'export-recipe': {
      if ((values.target ?? 'lightning') !== 'lightning') throw new UsageError(`runs export-recipe: --target must be lightning (got "${values.target}")`);
      if (!values.out) throw new UsageError('runs export-recipe: --out DIR is required (a new or empty folder)');
      const src = first('a run id, run directory or training config JSON');
      const r = await ix.exportRecipe(src.endsWith('.json') && fs.existsSync(src) ? { configFile: path.resolve(src) } : { runDir: runDir(store, src) }, path.resolve(values.out), { dataRoot });
      out(r, () => `wrote the Lightning project to ${r.dir} (${r.files.length} files); see ${path.join(r.dir, 'README.md')}`);
      return;
    }
    case 'import-lightning': {
      const r = await ix.importLightning(path.resolve(first('the Lightning project directory')), { dataset: values.dataset, name: values.name, dataRoot });
      out(r, () => `imported as ${r.runId} (${r.steps} logged steps, ${r.epochs} epochs from ${r.metricsFile ?? 'no metrics file'})`);
      return;
    }
  }
}
