import path from 'node:path';
import { embedFeaturesFile, embedPixels, embedRun, type EmbedControl, type EmbedOutcome } from '../../engine/embed/index.js';
import type { EmbedOptionsInput, EmbedProgress } from '../../shared/embed.js';
import { parse, UsageError, type Command, strictNumber } from '../args.js';

const HELP = `usage: simclr-workbench embed RUN_DIR [options]
       simclr-workbench embed --pixels DATASET --out DIR [options]
       simclr-workbench embed --features-file FILE [--out DIR] [options]

Extract a run's features (h, and the projection z) for a split or a seeded
sample, project them to 2-D with t-SNE or UMAP, and write a thumbnail atlas,
all into RUN_DIR/embeddings/. --pixels embeds raw pixels (reduced by PCA)
instead, before any run exists; --features-file projects a features file.

  --split NAME         train | test | val                            (default test)
  --n N                images, a seeded sample of the split; 0 = all (default 5000)
  --seed N             sample and projection seed                    (default 0)
  --method M           tsne | umap                                   (default tsne)
  --features F         h (representation) | z (projection)           (default h)
  --checkpoint C       latest | init | epoch number                  (default latest)
  --perplexity P       t-SNE perplexity                              (default 30)
  --iterations N       t-SNE iterations                              (default 1000)
  --gradient G         auto | exact | fft (t-SNE gradient)           (default auto)
  --neighbors K        UMAP neighbours                               (default 15)
  --min-dist X         UMAP min_dist                                 (default 0.1)
  --cell-size PX       atlas thumbnail size                          (default 32)
  --no-atlas           skip the thumbnail atlas
  --name NAME          output name (files NAME.*)
  --pixels DATASET     dataset to embed as raw pixels (folder, archive or id)
  --pca D              dimensions kept from the pixels               (default 50)
  --features-file F    an embedding features file (.bin)
  --out DIR            output folder for --pixels / --features-file
  --batch N            extraction batch size                         (default 256)
  --backend NAME       auto | tensorflow | wasm | cpu                (default auto)
  --data-root DIR      where datasets are cached
  --json               progress and the result as JSON lines on stdout`;

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
  help: { type: 'boolean', short: 'h' },
} as const;

function num(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = strictNumber(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new UsageError(`embed: --${flag} expects a number, got "${v}"`);
  return n;
}

function oneOf<T extends string>(flag: string, v: string | undefined, allowed: readonly T[]): T | undefined {
  if (v === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(v)) throw new UsageError(`embed: --${flag} must be one of ${allowed.join(', ')}, got "${v}"`);
  return v as T;
}

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
      console.log(JSON.stringify({ type: 'progress', ...e }));
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

export const embedCommand: Command = {
  async run(argv) {
    const { values, positionals } = parse('embed', argv, OPTIONS);
    if (values.help) {
      console.log(HELP);
      return 0;
    }
    const sources = [positionals.length > 0, values.pixels !== undefined, values['features-file'] !== undefined].filter(Boolean).length;
    if (sources !== 1) throw new UsageError(`embed: give exactly one of RUN_DIR, --pixels DATASET or --features-file FILE\n\n${HELP}`);
    if (positionals.length > 1) throw new UsageError(`embed: one RUN_DIR at a time, got ${positionals.length}`);
    const ck = values.checkpoint;
    const options: EmbedOptionsInput = {
      split: values.split,
      n: num('n', values.n),
      seed: num('seed', values.seed),
      method: oneOf('method', values.method, ['tsne', 'umap'] as const),
      features: oneOf('features', values.features, ['h', 'z'] as const),
      checkpoint: ck === undefined ? undefined : ck === 'latest' || ck === 'init' ? ck : num('checkpoint', ck),
      perplexity: num('perplexity', values.perplexity),
      iterations: num('iterations', values.iterations),
      gradient: oneOf('gradient', values.gradient, ['auto', 'exact', 'fft'] as const),
      neighbors: num('neighbors', values.neighbors),
      minDist: num('min-dist', values['min-dist']),
      cellSize: num('cell-size', values['cell-size']),
      atlas: values['no-atlas'] ? false : undefined,
      name: values.name,
      batchSize: num('batch', values.batch),
    };
    for (const k of Object.keys(options) as (keyof EmbedOptionsInput)[]) if (options[k] === undefined) delete options[k];
    const abort = new AbortController();
    const onSigint = () => abort.abort();
    process.once('SIGINT', onSigint);
    const ctl: EmbedControl = { signal: abort.signal, onProgress: progressPrinter(!!values.json), backend: values.backend, dataRoot: values['data-root'] };
    try {
      let r: EmbedOutcome;
      if (values.pixels !== undefined) {
        if (!values.out) throw new UsageError('embed: --pixels needs --out DIR (where the files go)');
        r = await embedPixels(values.pixels, path.resolve(values.out), { ...options, pcaDims: num('pca', values.pca) }, ctl);
      } else if (values['features-file'] !== undefined) {
        r = await embedFeaturesFile(path.resolve(values['features-file']), values.out ? path.resolve(values.out) : null, options, ctl);
      } else {
        r = await embedRun(path.resolve(positionals[0]!), options, ctl);
      }
      if (values.json) console.log(JSON.stringify({ type: 'result', ...r }));
      else console.log(report(r));
      return 0;
    } catch (err) {
      if ((err as Error).name === 'AbortError') {
        console.error('embed: cancelled');
        return 130;
      }
      throw err;
    } finally {
      process.removeListener('SIGINT', onSigint);
    }
  },
};
