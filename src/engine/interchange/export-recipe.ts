/**
 * A run's (or a training config's) exact recipe as a self-contained PyTorch
 * Lightning project: the Python sources under ./lightning copied as they are,
 * config.yaml generated from the recipe, requirements.txt and README.md.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ModelConfig } from '../../shared/model-config.js';
import type { Pipeline } from '../../shared/pipeline.js';
import { parseTrainConfig, resolveLearningRate, type TrainConfig } from '../../shared/train-config.js';
import { loadPipeline } from '../augment/index.js';
import { openDataset } from '../data/open.js';
import { modelConfigOf } from '../train/model-config.js';
import { readRun } from '../train/run-dir.js';
import { toYaml } from './yaml.js';

export const RECIPE_REQUIREMENTS = ['torch>=2.1', 'lightning>=2.2', 'safetensors>=0.4', 'pyyaml>=6', 'pillow>=10  # image folders only'];

/**
 * The template folder: beside this module in the sources, and copied beside the
 * bundle by scripts/build-cli.mjs (out/cli/lightning); else found from the package root.
 */
export function templateDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.join(here, 'lightning')];
  for (let dir = here, i = 0; i < 5; i++, dir = path.dirname(dir)) candidates.push(path.join(dir, 'src', 'engine', 'interchange', 'lightning'));
  const found = candidates.find((d) => fs.existsSync(path.join(d, 'train.py')));
  if (!found) throw new Error(`the Lightning project template is missing (looked in ${candidates.slice(0, 2).join(', ')}); rebuild with npm run build`);
  return found;
}

export type RecipeSource = { runDir: string } | { configFile: string };

export interface RecipeResult {
  dir: string;
  files: string[];
  config: Record<string, unknown>;
}

interface Recipe {
  name: string;
  id: string | null;
  cfg: TrainConfig;
  pipeline: Pipeline;
  model: ModelConfig;
  data: { format: string; id: string; name: string; path: string; size: number; trainLimit: number | null };
}

async function recipeOf(src: RecipeSource, dataRoot?: string): Promise<Recipe> {
  if ('runDir' in src) {
    const record = readRun(src.runDir);
    const cfg = parseTrainConfig(record.config, path.join(src.runDir, 'run.json'));
    const pipeline = record.pipeline as Pipeline;
    const d = record.dataset;
    return { name: record.name, id: record.id, cfg, pipeline, model: modelConfigOf(cfg, pipeline.outputSize), data: { format: d.format, id: d.id, name: d.name, path: d.path, size: d.width, trainLimit: cfg.trainLimit } };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(src.configFile, 'utf8'));
  } catch (err) {
    throw new Error(`${src.configFile}: cannot read the training config (${(err as Error).message})`);
  }
  const cfg = parseTrainConfig(raw, src.configFile);
  const pipeline = loadPipeline(cfg.pipeline as string | Record<string, unknown>);
  const ds = await openDataset(cfg.dataset, { dataRoot: cfg.dataRoot ?? dataRoot });
  const t = ds.splits.train;
  const dsPath = ds.source ?? (typeof cfg.dataset === 'string' ? cfg.dataset : '');
  return {
    name: cfg.runName ?? `${ds.name} ${cfg.model.preset}`,
    id: null,
    cfg,
    pipeline,
    model: modelConfigOf(cfg, pipeline.outputSize),
    data: { format: ds.format, id: ds.id, name: ds.name, path: dsPath, size: t.width, trainLimit: cfg.trainLimit },
  };
}

function readme(r: Recipe, lr: number): string {
  const t = fs.readFileSync(path.join(templateDir(), 'README.template.md'), 'utf8');
  const vars: Record<string, string> = {
    name: r.name,
    source: r.id ? `run \`${r.id}\`` : 'a training config',
    model: `${r.model.arch} x${r.model.width}, ${r.model.stem} stem`,
    batch: String(r.cfg.batchSize),
    epochs: String(r.cfg.epochs),
    optimizer: `${r.cfg.optimizer.name}, peak lr ${lr.toPrecision(4)} (${r.cfg.optimizer.lrScaling} scaling)`,
    data: `${r.data.name} (${r.data.format}) at ${r.data.path}`,
  };
  return t.replace(/\{\{(\w+)\}\}/g, (m, k: string) => vars[k] ?? m);
}

/** Write the project into `outDir` (created; must be empty if it exists). */
export async function exportRecipe(src: RecipeSource, outDir: string, opts: { dataRoot?: string } = {}): Promise<RecipeResult> {
  const r = await recipeOf(src, opts.dataRoot);
  if (fs.existsSync(outDir) && fs.readdirSync(outDir).length) throw new Error(`${outDir}: the folder is not empty; give a new or empty --out folder`);
  const tpl = templateDir();
  const lr = resolveLearningRate(r.cfg);
  const config = {
    run: { id: r.id, name: r.name },
    // PyTorch pads symmetrically: a recipe always trains the current (format 2) model
    model: { ...r.model, padding: 'symmetric' },
    pipeline: r.pipeline,
    train: { epochs: r.cfg.epochs, batchSize: r.cfg.batchSize, temperature: r.cfg.temperature, seed: r.cfg.seed, optimizer: r.cfg.optimizer, learningRate: lr },
    data: r.data,
  };
  const files: string[] = [];
  const put = (rel: string, text: string | Buffer) => {
    const f = path.join(outDir, rel);
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(f, text);
    files.push(rel);
  };
  fs.mkdirSync(outDir, { recursive: true });
  for (const rel of ['train.py', ...fs.readdirSync(path.join(tpl, 'simclr_recipe')).filter((f) => f.endsWith('.py')).map((f) => path.join('simclr_recipe', f))]) {
    put(rel, fs.readFileSync(path.join(tpl, rel)));
  }
  put('config.yaml', `# SimCLR recipe exported by SimCLR Workbench from ${r.id ? `run ${r.id}` : 'a training config'}; train.py reads it.\n` + toYaml(config));
  put('requirements.txt', RECIPE_REQUIREMENTS.join('\n') + '\n');
  put('README.md', readme(r, lr));
  return { dir: outDir, files, config };
}
