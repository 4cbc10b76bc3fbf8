import path from 'node:path';
import {
  datasetSummary,
  defaultDataRoot,
  downloadDataset,
  importDataset,
  listDatasets,
  openDataset,
  verifyDataset,
} from '../../engine/data/index.js';
import { BUILTIN_DATASET_IDS, DATASET_FORMATS, type BuiltinDatasetId, type DatasetProgress, type DatasetRefInput, type DatasetSummary } from '../../shared/dataset.js';
import { parse, UsageError, type Command, strictNumber } from '../args.js';

const USAGE = `usage: simclr-workbench datasets <list|import|download|info|verify> [options]

  list                         datasets in the cache
  import <folder|archive>      read a CIFAR-10/100 binary folder, MNIST-style IDX folder, image folder
                               or .tar.gz of one, and cache it
      --format auto|${DATASET_FORMATS.join('|')}   --labels fine|coarse (CIFAR-100)
      --size N (image folders: square side)  --grayscale  --id ID  --name NAME
  download <${BUILTIN_DATASET_IDS.join('|')}>
                               fetch the official files (resumes, checks the published MD5), then import
      --mirror URL             fetch <URL>/<file name> instead of the official host
  info <id|builtin|path>       summary: splits, per-class counts, per-channel mean/std
  verify <id|builtin|path|file>  check a cache (size, checksum, labels) or a download (published MD5)

  --data-root DIR   default $SIMCLR_DATA_ROOT or ~/.simclr-workbench      --json   machine-readable output`;

const MiB = 1024 * 1024;

/** Progress on stderr: one updating line on a terminal, a line every few seconds otherwise. */
function progressPrinter(): (e: DatasetProgress) => void {
  const tty = process.stderr.isTTY;
  let lastLine = 0;
  return (e) => {
    if (e.phase === 'read' || e.phase === 'cache') return; // quick steps: not worth a line
    const now = Date.now();
    const final = e.total !== null && e.done >= e.total;
    if (!tty && !final && now - lastLine < 3000) return;
    lastLine = now;
    let text: string;
    if (e.phase === 'download') {
      const pct = e.total ? ` ${((100 * e.done) / e.total).toFixed(1)}%` : '';
      const eta = e.etaSeconds != null ? ` ETA ${Math.round(e.etaSeconds)} s` : '';
      text = `download ${path.basename(e.file)}: ${(e.done / MiB).toFixed(1)}${e.total ? ` / ${(e.total / MiB).toFixed(1)}` : ''} MiB${pct}, ${((e.bytesPerSecond ?? 0) / MiB).toFixed(2)} MiB/s${eta}`;
    } else if (e.phase === 'verify') {
      text = `verify ${path.basename(e.file)}: ${(e.done / MiB).toFixed(0)} / ${((e.total ?? 0) / MiB).toFixed(0)} MiB`;
    } else if (e.phase === 'decode') {
      text = `decode ${e.file}: ${e.done} / ${e.total} images`;
    } else {
      text = `${e.phase} ${e.file}`;
    }
    if (tty) process.stderr.write(`\r\x1b[K${text}${final || e.total === null ? '\n' : ''}`);
    else process.stderr.write(`${text}\n`);
  };
}

function printSummary(s: DatasetSummary): void {
  console.log(`id        ${s.id}`);
  console.log(`name      ${s.name}`);
  console.log(`format    ${s.format}`);
  if (s.source) console.log(`source    ${s.source}`);
  if (s.checksum) console.log(`checksum  sha256 ${s.checksum}`);
  console.log(`classes   ${s.classNames.length ? `${s.classNames.length}: ${s.classNames.slice(0, 12).join(', ')}${s.classNames.length > 12 ? ', ...' : ''}` : 'none (unlabeled)'}`);
  for (const sp of s.splits) {
    const f = (xs: number[]) => xs.map((x) => x.toFixed(4)).join(' ');
    console.log(`${sp.name.padEnd(9)} ${sp.count} images ${sp.width}x${sp.height}x${sp.channels}, mean ${f(sp.mean)}, std ${f(sp.std)}`);
    if (sp.perClass.length) console.log(`          per class ${sp.perClass.join(' ')}${sp.unlabeled ? `, unlabeled ${sp.unlabeled}` : ''}`);
  }
}

const common = { 'data-root': { type: 'string' }, json: { type: 'boolean' } } as const;

async function list(argv: string[]): Promise<number> {
  const { values } = parse('datasets list', argv, common, false);
  const root = values['data-root'] ?? defaultDataRoot();
  const problems: string[] = [];
  const all = await listDatasets(root, (file, msg) => problems.push(`${file}: ${msg}`));
  if (values.json) console.log(JSON.stringify(all, null, 2));
  else if (all.length === 0) console.log(`no datasets in ${path.join(root, 'datasets')}; add one with \`simclr-workbench datasets import <path>\` or \`datasets download cifar10\``);
  else {
    const w = Math.max(2, ...all.map((d) => d.id.length));
    console.log(`${'id'.padEnd(w)}  ${'format'.padEnd(8)}  ${'classes'.padStart(7)}  ${'size'.padEnd(9)}  splits`);
    for (const d of all) {
      const s0 = d.splits[0]!;
      const splits = d.splits.map((s) => `${s.name} ${s.count}`).join(', ');
      console.log(`${d.id.padEnd(w)}  ${d.format.padEnd(8)}  ${String(d.classNames.length).padStart(7)}  ${`${s0.width}x${s0.height}x${s0.channels}`.padEnd(9)}  ${splits}`);
    }
  }
  for (const p of problems) console.error(`damaged: ${p}`);
  return problems.length ? 1 : 0;
}

async function importCmd(argv: string[]): Promise<number> {
  const { values, positionals } = parse('datasets import', argv, {
    ...common,
    format: { type: 'string' },
    labels: { type: 'string' },
    size: { type: 'string' },
    grayscale: { type: 'boolean' },
    id: { type: 'string' },
    name: { type: 'string' },
  });
  if (positionals.length !== 1) throw new UsageError(`datasets import: give one folder or archive\n\n${USAGE}`);
  const size = values.size !== undefined ? strictNumber(values.size) : undefined;
  if (size !== undefined && !(Number.isInteger(size) && size >= 8 && size <= 1024)) throw new UsageError(`datasets import: --size ${values.size}: give a whole number of pixels, 8 to 1024`);
  const format = values.format ?? 'auto';
  if (format !== 'auto' && !(DATASET_FORMATS as readonly string[]).includes(format)) throw new UsageError(`datasets import: --format ${format}: give auto, ${DATASET_FORMATS.join(', ')}`);
  const labels = values.labels ?? 'fine';
  if (labels !== 'fine' && labels !== 'coarse') throw new UsageError(`datasets import: --labels ${labels}: give fine or coarse`);
  const ref: DatasetRefInput = {
    kind: 'path',
    path: positionals[0]!,
    format: format as (typeof DATASET_FORMATS)[number] | 'auto',
    labels,
    size,
    grayscale: values.grayscale ?? false,
    id: values.id,
    name: values.name,
  };
  const { dataset, report } = await importDataset(ref, { dataRoot: values['data-root'], onProgress: values.json ? undefined : progressPrinter() });
  if (values.json) console.log(JSON.stringify({ summary: datasetSummary(dataset), report }, null, 2));
  else {
    printSummary(datasetSummary(dataset));
    for (const w of report.warnings) console.log(`warning   ${w}`);
    console.log(`cached    ${report.cacheFile}`);
  }
  return 0;
}

async function download(argv: string[]): Promise<number> {
  const { values, positionals } = parse('datasets download', argv, { ...common, mirror: { type: 'string' } });
  const id = positionals[0];
  if (positionals.length !== 1 || !(BUILTIN_DATASET_IDS as readonly string[]).includes(id!)) throw new UsageError(`datasets download: give one of ${BUILTIN_DATASET_IDS.join(', ')}`);
  const r = await downloadDataset(id as BuiltinDatasetId, { dataRoot: values['data-root'], baseUrl: values.mirror, onProgress: values.json ? undefined : progressPrinter() });
  if (values.json) console.log(JSON.stringify({ summary: datasetSummary(r.dataset), downloads: r.downloads, report: r.report }, null, 2));
  else {
    for (const d of r.downloads) console.log(`${d.cached ? 'present ' : 'fetched '}  ${d.file} (${d.bytes} bytes${d.resumedFrom ? `, resumed from ${d.resumedFrom}` : ''}, MD5 ok)`);
    printSummary(datasetSummary(r.dataset));
  }
  return 0;
}

async function info(argv: string[]): Promise<number> {
  const { values, positionals } = parse('datasets info', argv, common);
  if (positionals.length !== 1) throw new UsageError(`datasets info: give one dataset id or path`);
  const ds = await openDataset(positionals[0]!, { dataRoot: values['data-root'], onProgress: values.json ? undefined : progressPrinter() });
  const s = datasetSummary(ds);
  if (values.json) console.log(JSON.stringify(s, null, 2));
  else printSummary(s);
  return 0;
}

async function verify(argv: string[]): Promise<number> {
  const { values, positionals } = parse('datasets verify', argv, common);
  if (positionals.length !== 1) throw new UsageError(`datasets verify: give one dataset id, path or downloaded file`);
  const r = await verifyDataset(positionals[0]!, { dataRoot: values['data-root'] });
  if (values.json) console.log(JSON.stringify(r, null, 2));
  else for (const c of r.checks) console.log(`${c.ok ? 'ok  ' : 'FAIL'}  ${c.check}: ${c.detail}`);
  return r.ok ? 0 : 1;
}

const SUB: Record<string, (argv: string[]) => Promise<number>> = { list, import: importCmd, download, info, verify };

export const datasetsCommand: Command = {
  async run(argv) {
    const [sub, ...rest] = argv;
    if (!sub || sub === '--help' || sub === '-h' || sub === 'help') {
      console.log(USAGE);
      return 0;
    }
    const fn = SUB[sub];
    if (!fn) throw new UsageError(`datasets: unknown subcommand "${sub}"\n\n${USAGE}`);
    return fn(rest);
  },
};
