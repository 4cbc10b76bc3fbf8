import fs from 'node:fs';
import { ALL_PROTOCOLS, checkRunDir, evaluateRun, type EvalEvent } from '../../engine/eval/evaluate.js';
import { REFERENCES } from '../../engine/eval/references.js';
import { formatReport, readEvalReport, REPORT_FORMATS, type ReportFormat } from '../../engine/eval/report.js';
import { EVAL_PROTOCOLS, PROTOCOL_TITLES, type EvalProtocol } from '../../shared/eval.js';
import { parse, UsageError, type Command, strictNumber } from '../args.js';

const HELP = `usage: simclr-workbench eval RUN_DIR --protocol P[,P...] [options]
       simclr-workbench eval RUN_DIR --report [--format md|csv|json]

Evaluate a run's encoder and add the results to RUN_DIR/eval.json; then print
the reproduction report (results beside published reference numbers).

  --protocol P         linear | knn | finetune | supervised | random | pixels | all
                       (comma-separated list allowed; all = every protocol)
  --dataset REF        evaluate on another dataset (transfer): cifar100 | cached id | path
  --input-size N       feed the encoder N x N images (default: the run's view size)
  --checkpoint C       latest | epoch number | epoch-NNNN               (default latest)
  --epochs N           fine-tuning / supervised epochs                  (default 10)
  --label-fraction F   0.01 | 0.1 | 1, comma-separated for several      (default 1)
  --batch N            fine-tuning / supervised batch size              (default 64)
  --train-limit N      use the first N training images
  --test-limit N       use the first N test images
  --knn-k K            neighbours for kNN                               (default: the run's monitor k)
  --l2 X[,X...]        L2 strengths for linear evaluation to choose from
  --max-iter N         L-BFGS iterations per fit                        (default 500)
  --seed N             splits, label subsets, augmentation              (default: the run's seed)
  --backend NAME       auto | tensorflow | wasm | cpu
  --data-root DIR      where datasets are cached        (default $SIMCLR_DATA_ROOT or ~/.simclr-workbench)
  --no-save            do not write eval.json
  --report             print the saved report only, run nothing
  --format F           md | csv | json                                  (default md)
  --out FILE           also write the report there
  --json               progress as JSON lines on stderr`;

const OPTIONS = {
  protocol: { type: 'string' },
  dataset: { type: 'string' },
  'input-size': { type: 'string' },
  checkpoint: { type: 'string' },
  epochs: { type: 'string' },
  'label-fraction': { type: 'string' },
  batch: { type: 'string' },
  'train-limit': { type: 'string' },
  'test-limit': { type: 'string' },
  'knn-k': { type: 'string' },
  l2: { type: 'string' },
  'max-iter': { type: 'string' },
  seed: { type: 'string' },
  backend: { type: 'string' },
  'data-root': { type: 'string' },
  'no-save': { type: 'boolean' },
  report: { type: 'boolean' },
  format: { type: 'string' },
  out: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function num(flag: string, v: string | undefined, opts: { int?: boolean; min?: number } = {}): number | undefined {
  if (v === undefined) return undefined;
  const n = strictNumber(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new UsageError(`eval: --${flag} expects a number, got "${v}"`);
  if (opts.int && !Number.isInteger(n)) throw new UsageError(`eval: --${flag} expects a whole number, got "${v}"`);
  if (opts.min !== undefined && n < opts.min) throw new UsageError(`eval: --${flag} must be at least ${opts.min}, got ${v}`);
  return n;
}

function list(flag: string, v: string | undefined): number[] | undefined {
  if (v === undefined) return undefined;
  return v.split(',').map((s) => num(flag, s.trim())!);
}

export function parseProtocols(v: string | undefined): EvalProtocol[] {
  if (!v) throw new UsageError(`eval: --protocol is required: one or more of ${EVAL_PROTOCOLS.join(', ')}, or all`);
  const out: EvalProtocol[] = [];
  for (const p of v.split(',').map((s) => s.trim().toLowerCase())) {
    if (p === 'all') out.push(...ALL_PROTOCOLS);
    else if ((EVAL_PROTOCOLS as readonly string[]).includes(p)) out.push(p as EvalProtocol);
    else throw new UsageError(`eval: unknown protocol "${p}": use ${EVAL_PROTOCOLS.join(', ')} or all`);
  }
  return [...new Set(out)];
}

function checkpointArg(v: string | undefined): 'latest' | number | string | undefined {
  if (v === undefined) return undefined;
  return /^\d+$/.test(v) ? Number(v) : v;
}

/** One human line per event worth showing (progress within a stage is rate-limited). */
function printer(json: boolean): (e: EvalEvent) => void {
  let last = 0;
  const every = (ms: number) => {
    const now = Date.now();
    if (now - last < ms) return false;
    last = now;
    return true;
  };
  return (e) => {
    if (json) {
      const { type } = e;
      if (type === 'done') process.stderr.write(JSON.stringify({ type, protocol: e.protocol, top1: e.result.metrics.top1, top5: e.result.metrics.top5, compute: e.result.compute }) + '\n');
      else process.stderr.write(JSON.stringify(e) + '\n');
      return;
    }
    switch (e.type) {
      case 'data':
        console.error(`data      ${e.dataset}: ${e.train} train / ${e.test} test images, ${e.numClasses} classes, fed at ${e.inputSize}px${e.transfer ? ' (transfer)' : ''}`);
        break;
      case 'start':
        console.error(`${e.protocol.padEnd(11)}${PROTOCOL_TITLES[e.protocol]}${e.labelFraction < 1 ? ` (${100 * e.labelFraction}% of labels)` : ''}`);
        break;
      case 'features':
        if (e.done === e.total || every(2000)) console.error(`  features ${e.split} ${e.done}/${e.total}`);
        break;
      case 'linear':
        if (e.valTop1 !== undefined) console.error(`  l2 ${e.l2.toExponential(0)}: validation top-1 ${(100 * e.valTop1).toFixed(2)}% (${e.iteration} L-BFGS iterations)`);
        else if (every(5000)) console.error(`  ${e.stage} l2 ${e.l2.toExponential(0)} iteration ${e.iteration} loss ${e.loss.toFixed(5)}`);
        break;
      case 'train':
        if (e.step === e.steps || every(3000)) console.error(`  epoch ${e.epoch}/${e.epochs} step ${e.step}/${e.steps} loss ${e.loss.toFixed(4)} lr ${e.lr.toFixed(4)}`);
        break;
      case 'done': {
        const m = e.result.metrics;
        console.error(`  top-1 ${(100 * m.top1).toFixed(2)}%${m.top5 !== null ? `, top-5 ${(100 * m.top5).toFixed(2)}%` : ''} in ${e.result.compute.wallSeconds.toFixed(1)} s`);
        break;
      }
    }
  };
}

export const evalCommand: Command = {
  async run(argv) {
    const { values, positionals } = parse('eval', argv, OPTIONS);
    if (values.help) {
      console.log(HELP);
      return;
    }
    if (positionals.length !== 1) throw new UsageError(`eval: give exactly one run directory (got ${positionals.length})\n\n${HELP}`);
    const runDir = positionals[0]!;
    const format = (values.format ?? 'md') as ReportFormat;
    if (!(REPORT_FORMATS as readonly string[]).includes(format)) throw new UsageError(`eval: --format must be one of ${REPORT_FORMATS.join(', ')}, got "${format}"`);

    let report;
    if (values.report) {
      checkRunDir(runDir);
      report = readEvalReport(runDir);
      if (!report) throw new Error(`${runDir}: no eval.json yet; run \`simclr-workbench eval ${runDir} --protocol all\` first`);
    } else {
      const protocols = parseProtocols(values.protocol);
      const fractions = list('label-fraction', values['label-fraction']);
      for (const f of fractions ?? []) if (!(f > 0 && f <= 1)) throw new UsageError(`eval: --label-fraction values must be in (0, 1], got ${f}`);
      const knnK = num('knn-k', values['knn-k'], { int: true, min: 1 });
      const result = await evaluateRun(runDir, {
        protocols,
        dataset: values.dataset,
        inputSize: num('input-size', values['input-size'], { int: true, min: 8 }),
        checkpoint: checkpointArg(values.checkpoint),
        epochs: num('epochs', values.epochs, { int: true, min: 1 }),
        labelFractions: fractions,
        batchSize: num('batch', values.batch, { int: true, min: 2 }),
        trainLimit: num('train-limit', values['train-limit'], { int: true, min: 1 }),
        testLimit: num('test-limit', values['test-limit'], { int: true, min: 1 }),
        knn: knnK !== undefined ? { k: knnK } : undefined,
        l2Grid: list('l2', values.l2),
        maxIter: num('max-iter', values['max-iter'], { int: true, min: 1 }),
        seed: num('seed', values.seed, { int: true, min: 0 }),
        backend: values.backend,
        dataRoot: values['data-root'],
        save: !values['no-save'],
        onProgress: printer(!!values.json),
      });
      report = result.report ?? { schemaVersion: 1 as const, run: result.run, results: result.results, references: REFERENCES, updatedAt: new Date().toISOString() };
    }
    const text = formatReport(report, format);
    if (values.out) fs.writeFileSync(values.out, text);
    process.stdout.write(text);
  },
};
