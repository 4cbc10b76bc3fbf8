import path from 'node:path';
import { embedFeaturesFile, embedPixels, embedRun, type EmbedControl, type EmbedOutcome } from '../../engine/embed/index.js';
import { BACKEND_PREFERENCES } from '../../shared/backend.js';
import { DATA_ROOT_DEFAULT_TEXT } from '../../shared/data-root.js';
import { EMBED_FEATURES, EMBED_METHODS, parseEmbedOptions, TSNE_GRADIENTS, type EmbedOptionsInput, type EmbedProgress } from '../../shared/embed.js';
import { defineCommand, parse, parseChoice, parseNumber, UsageError } from '../args.js';
import { choices, flagTable } from '../help.js';
import { interruptible } from '../interrupt.js';
import { printJsonProgress, printResult } from '../output.js';

// Defaults and choices come from the schema (src/shared/embed.ts), so this text cannot drift from it.
const D = parseEmbedOptions({});
const HELP = `usage: simclr-workbench embed RUN_DIR [options]
       simclr-workbench embed --pixels DATASET --out DIR [options]
       simclr-workbench embed --features-file FILE [--out DIR] [options]

Extract a run's features (h, and the projection z) for a split or a seeded
sample, project them to 2-D with t-SNE or UMAP, and write a thumbnail atlas,
all into RUN_DIR/embeddings/. --pixels embeds raw pixels (reduced by PCA)
instead, before any run exists; --features-file projects a features file.

${flagTable([
  ['--split NAME', 'train | test | val', D.split],
  ['--n N', 'images, a seeded sample of the split; 0 = all', D.n],
  ['--seed N', 'sample and projection seed', D.seed],
  ['--method M', choices(EMBED_METHODS), D.method],
  ['--features F', 'h (representation) | z (projection)', D.features],
  ['--checkpoint C', 'latest | init | epoch number', D.checkpoint],
  ['--perplexity P', 't-SNE perplexity', D.perplexity],
  ['--iterations N', 't-SNE iterations', D.iterations],
  ['--gradient G', `${choices(TSNE_GRADIENTS)} (t-SNE gradient)`, D.gradient],
  ['--neighbors K', 'UMAP neighbours', D.neighbors],
  ['--min-dist X', 'UMAP min_dist', D.minDist],
  ['--cell-size PX', 'atlas thumbnail size', D.cellSize],
  ['--no-atlas', 'skip the thumbnail atlas'],
  ['--name NAME', 'output name (files NAME.*)'],
  ['--pixels DATASET', 'dataset to embed as raw pixels (folder, archive or id)'],
  ['--pca D', 'dimensions kept from the pixels', 50],
  ['--features-file F', 'an embedding features file (.bin)'],
  ['--out DIR', 'output folder for --pixels / --features-file'],
  ['--batch N', 'extraction batch size', D.batchSize],
  ['--backend NAME', choices(BACKEND_PREFERENCES), 'auto'],
  ['--data-root DIR', 'where datasets are cached', DATA_ROOT_DEFAULT_TEXT],
  ['--json', 'the result as JSON on stdout, progress as JSON lines on stderr'],
])}

Ctrl+C stops cleanly between batches or iterations (exit 130); again quits at once.`;

const OPTIONS = {
  split: { type: 'string' },
  n: { type: 'string' },
  seed: { type: 'string' },
  method: { type: 'string' },
  features: { type: 'string' },
  checkpoint: { type: 'string' },
  perplexity: { type: 'string' },
  iterations: { type: 'string' },
  gradient: { type: 'string' },
  neighbors: { type: 'string' },
  'min-dist': { type: 'string' },
  'cell-size': { type: 'string' },
  'no-atlas': { type: 'boolean' },
  name: { type: 'string' },
  pixels: { type: 'string' },
  pca: { type: 'string' },
  'features-file': { type: 'string' },
  out: { type: 'string' },
  batch: { type: 'string' },
  backend: { type: 'string' },
  'data-root': { type: 'string' },
  json: { type: 'boolean' },
} as const;

const num = (flag: string, v: string | undefined) => parseNumber('embed', flag, v);
const oneOf = <T extends string>(flag: string, v: string | undefined, allowed: readonly T[]) => parseChoice('embed', flag, v, allowed);

function fmt(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '--:--';
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** One line per event (a rewritten line on a terminal). */
function progressPrinter(json: boolean): (e: EmbedProgress) => void {
  const tty = !json && process.stderr.isTTY;
  let lastStage = '';
  return (e) => {
    if (json) {
      printJsonProgress({ type: 'progress', ...e });
      return;
    }
    const kl = e.kl !== undefined && Number.isFinite(e.kl) ? `  KL ${e.kl.toFixed(4)}` : '';
    const eta = e.etaMs !== undefined ? `  eta ${fmt(e.etaMs)}` : '';
    const line = `${e.stage.padEnd(10)} ${e.done}/${e.total}${kl}  elapsed ${fmt(e.elapsedMs)}${eta}`;
    if (tty) {
      if (lastStage && lastStage !== e.stage) process.stderr.write('\n');
      process.stderr.write(`\r${line}\x1b[K`);
      if (e.stage === 'done') process.stderr.write('\n');
    } else process.stderr.write(line + '\n');
    lastStage = e.stage;
  };
}

function report(r: EmbedOutcome): string {
  const rel = (f: string) => path.relative(process.cwd(), f) || f;
  return [
    `embedded ${r.count} points (${r.method} of ${r.features})${r.kl !== null ? `, KL ${r.kl.toFixed(4)}` : ''}`,
    `features    ${rel(r.featuresFile)}${r.reusedFeatures ? ' (reused)' : ''}`,
    `projection  ${rel(r.projectionFile)}`,
    r.atlasFile ? `atlas       ${rel(r.atlasFile)}` : null,
    `time        features ${r.seconds.features.toFixed(1)} s, projection ${r.seconds.projection.toFixed(1)} s, atlas ${r.seconds.atlas.toFixed(1)} s`,
  ]
    .filter(Boolean)
    .join('\n');
}

export const embedCommand = defineCommand(HELP, async (argv) => {
  const { values, positionals } = parse('embed', argv, OPTIONS);
  const sources = [positionals.length > 0, values.pixels !== undefined, values['features-file'] !== undefined].filter(Boolean).length;
  if (sources !== 1) throw new UsageError(`embed: give exactly one of RUN_DIR, --pixels DATASET or --features-file FILE\n\n${HELP}`);
  if (positionals.length > 1) throw new UsageError(`embed: one RUN_DIR at a time, got ${positionals.length}`);
  if (values.pixels !== undefined && !values.out) throw new UsageError('embed: --pixels needs --out DIR (where the files go)');
  const ck = values.checkpoint;
  const options: EmbedOptionsInput = {
    split: values.split,
    n: num('n', values.n),
    seed: num('seed', values.seed),
    method: oneOf('method', values.method, EMBED_METHODS),
    features: oneOf('features', values.features, EMBED_FEATURES),
    checkpoint: ck === undefined ? undefined : ck === 'latest' || ck === 'init' ? ck : num('checkpoint', ck),
    perplexity: num('perplexity', values.perplexity),
    iterations: num('iterations', values.iterations),
    gradient: oneOf('gradient', values.gradient, TSNE_GRADIENTS),
    neighbors: num('neighbors', values.neighbors),
    minDist: num('min-dist', values['min-dist']),
    cellSize: num('cell-size', values['cell-size']),
    atlas: values['no-atlas'] ? false : undefined,
    name: values.name,
    batchSize: num('batch', values.batch),
  };
  for (const k of Object.keys(options) as (keyof EmbedOptionsInput)[]) if (options[k] === undefined) delete options[k];
  const pcaDims = num('pca', values.pca);
  return interruptible('embedding', async (signal) => {
    const ctl: EmbedControl = { signal, onProgress: progressPrinter(!!values.json), backend: values.backend, dataRoot: values['data-root'] };
    let r: EmbedOutcome;
    if (values.pixels !== undefined) r = await embedPixels(values.pixels, path.resolve(values.out!), { ...options, pcaDims }, ctl);
    else if (values['features-file'] !== undefined) r = await embedFeaturesFile(path.resolve(values['features-file']), values.out ? path.resolve(values.out) : null, options, ctl);
    else r = await embedRun(path.resolve(positionals[0]!), options, ctl);
    printResult(!!values.json, r, () => report(r));
    return 0;
  });
});
