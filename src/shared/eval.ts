/**
 * Evaluation results and the reproduction report: the schema of a run's
 * eval.json, the published reference numbers it is compared with, and the
 * table it renders to (Markdown and CSV, both readable back).
 *
 *   evalReportSchema / parseEvalReport(raw, source?)   eval.json
 *   reportRows(report)                                 the comparison table
 *   reportToMarkdown / reportToCsv                     exports
 *   parseReportCsv / parseReportMarkdown               the table back from an export
 *
 * Imports nothing from Node or Electron: the renderer shows the same table.
 */
import { z } from 'zod';

export const EVAL_PROTOCOLS = ['linear', 'knn', 'finetune', 'supervised', 'random', 'pixels'] as const;
export type EvalProtocol = (typeof EVAL_PROTOCOLS)[number];

export const PROTOCOL_TITLES: Record<EvalProtocol, string> = {
  linear: 'SimCLR, linear evaluation',
  knn: 'SimCLR, kNN',
  finetune: 'SimCLR, fine-tuned',
  supervised: 'Supervised from scratch',
  random: 'Random-init encoder, linear evaluation',
  pixels: 'Raw pixels, linear evaluation',
};

/**
 * Named hyperparameter sets for fine-tuning and supervised training (the recipes
 * themselves live in src/engine/eval/recipes.ts):
 *   cifar     this workbench's CIFAR defaults (wd 5e-4, crop area [0.5, 1], 10 epochs), not the paper's;
 *   paper-b5  SimCLR Appendix B.5: Nesterov 0.9, lr 0.05 x batch/256, no warmup, no weight decay,
 *             random crop + flip only, epochs by label fraction.
 */
export const FINETUNE_RECIPES = ['cifar', 'paper-b5'] as const;
export type FinetuneRecipeName = (typeof FINETUNE_RECIPES)[number];
export const DEFAULT_FINETUNE_RECIPE: FinetuneRecipeName = 'cifar';

/**
 * How the linear protocol trains its classifier on the frozen encoder:
 *   lbfgs     L2-regularised multinomial logistic regression on un-augmented features by L-BFGS, L2 chosen
 *             on a validation split (the standard frozen-feature protocol; the paper's transfer evaluation);
 *   paper-b6  SimCLR Appendix B.6: SGD with Nesterov momentum on frozen features of crop + flip views,
 *             lr 0.1 x batch/256, no weight decay, 90 epochs.
 */
export const LINEAR_PROTOCOLS = ['lbfgs', 'paper-b6'] as const;
export type LinearProtocolName = (typeof LINEAR_PROTOCOLS)[number];
export const DEFAULT_LINEAR_PROTOCOL: LinearProtocolName = 'lbfgs';

/** The recipe fields of an eval request (the API's EvalConfigSchema and the CLI flags derive from these). */
export const evalRecipeFields = {
  /** fine-tuning / supervised hyperparameters (default DEFAULT_FINETUNE_RECIPE) */
  recipe: z.enum(FINETUNE_RECIPES).optional(),
  /** how linear evaluation trains its classifier (default DEFAULT_LINEAR_PROTOCOL) */
  linearProtocol: z.enum(LINEAR_PROTOCOLS).optional(),
  /** epochs of the paper-b6 linear protocol (default 90) */
  linearEpochs: z.number().int().min(1).max(1000).optional(),
};

const fraction = z.number().min(0).max(1);

export const classificationMetricsSchema = z
  .object({
    /** fraction of test images whose top-scoring class is right */
    top1: fraction,
    /** fraction whose true class is among the 5 highest scores; null where the method gives no scores */
    top5: fraction.nullable(),
    /** recall of each true class; null for a class with no test images */
    perClass: z.array(fraction.nullable()),
    /** confusion[true][predicted] counts */
    confusion: z.array(z.array(z.number().int().min(0))),
    /** test images scored */
    count: z.number().int().min(0),
  })
  .strict();
export type ClassificationMetrics = z.infer<typeof classificationMetricsSchema>;

export const computeSchema = z
  .object({
    wallSeconds: z.number().min(0),
    /**
     * passes over the training images by what was trained: full-batch L-BFGS passes of the
     * classifier for linear evaluation, network epochs for fine-tuning; 0 for kNN
     */
    epochs: z.number().min(0),
    /**
     * images through the network: feature extraction (counted once, in the first protocol that
     * needed it; raw pixels count the images flattened), training steps and the test pass
     */
    images: z.number().int().min(0),
    backend: z.string(),
    device: z.string(),
  })
  .strict();
export type EvalCompute = z.infer<typeof computeSchema>;

export const evalDatasetSchema = z
  .object({
    id: z.string().min(1),
    /** what the data is, for matching published numbers: "cifar10", "cifar100", "cifar100-coarse", else the id */
    family: z.string().min(1),
    name: z.string(),
    numClasses: z.number().int().positive(),
    trainCount: z.number().int().min(0),
    testCount: z.number().int().min(0),
    /** side in pixels the images were fed at (after resizing for transfer) */
    inputSize: z.number().int().positive(),
  })
  .strict();

const settingValue = z.union([z.number(), z.string(), z.boolean(), z.null(), z.array(z.number())]);

export const protocolResultSchema = z
  .object({
    protocol: z.enum(EVAL_PROTOCOLS),
    dataset: evalDatasetSchema,
    /** family (see dataset.family) of the data the encoder was pretrained on; null for baselines without a pretrained encoder */
    pretrainDataset: z.string().nullable(),
    /** fraction of the training labels used (class-balanced, seeded) */
    labelFraction: z.number().gt(0).max(1),
    metrics: classificationMetricsSchema,
    /** hyperparameters as used, e.g. the chosen l2, k, epochs, learning rate */
    settings: z.record(z.string(), settingValue),
    compute: computeSchema,
    finishedAt: z.string(),
  })
  .strict();
export type ProtocolResult = z.infer<typeof protocolResultSchema>;

export const referenceSchema = z
  .object({
    id: z.string(),
    source: z.string(),
    /** where in the source, e.g. "Appendix Table B.5" */
    where: z.string(),
    protocol: z.enum(EVAL_PROTOCOLS),
    arch: z.string(),
    /** what the encoder saw before evaluation, e.g. "ImageNet (SimCLR)", "CIFAR-10 (SimCLR, 1000 epochs)", "none" */
    pretraining: z.string(),
    /** how it was evaluated, in words: "linear evaluation", "fine-tuned", "trained from scratch" */
    evaluation: z.string(),
    /** evaluated on (a dataset family, see evalDatasetSchema) */
    dataset: z.string(),
    /** 'same': pretrained on the evaluation dataset itself; 'transfer': pretrained elsewhere; 'none': no pretraining */
    setting: z.enum(['same', 'transfer', 'none']),
    labelFraction: z.number().gt(0).max(1),
    /** top-1 accuracy in percent, as published */
    top1: z.number().min(0).max(100),
    /** pretraining epochs and batch size of the published run, where the source states them */
    pretrainEpochs: z.number().int().positive().optional(),
    batchSize: z.number().int().positive().optional(),
    note: z.string().optional(),
  })
  .strict();
export type Reference = z.infer<typeof referenceSchema>;

export const evalReportSchema = z
  .object({
    schemaVersion: z.literal(1),
    run: z
      .object({
        id: z.string(),
        /** e.g. "ResNet-18 x0.25" */
        arch: z.string(),
        pretrainDataset: z.string(),
        pretrainEpochs: z.number().min(0).nullable(),
      })
      .strict(),
    results: z.array(protocolResultSchema),
    /** published numbers the rows were matched against, copied in so the file stands alone */
    references: z.array(referenceSchema),
    updatedAt: z.string(),
  })
  .strict();
export type EvalReport = z.infer<typeof evalReportSchema>;

export class EvalReportError extends Error {}

/** Validate a parsed eval.json; errors name the field and the file. */
export function parseEvalReport(raw: unknown, source = 'eval.json'): EvalReport {
  const r = evalReportSchema.safeParse(raw);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const at = issue.path.length ? issue.path.join('.') : '(top level)';
  throw new EvalReportError(`${source}: ${at}: ${issue.message} (${r.error.issues.length} problem${r.error.issues.length > 1 ? 's' : ''}; delete the file to start a fresh report)`);
}

/** Results are keyed by protocol, dataset and label fraction: a rerun replaces the earlier one. */
export function resultKey(r: Pick<ProtocolResult, 'protocol' | 'dataset' | 'labelFraction'>): string {
  return `${r.protocol}|${r.dataset.id}|${r.dataset.inputSize}|${r.labelFraction}`;
}

/** Whether a result was obtained on the dataset the encoder was pretrained on, on another one, or without pretraining. */
export function settingOf(r: Pick<ProtocolResult, 'pretrainDataset' | 'dataset'>): Reference['setting'] {
  if (r.pretrainDataset === null) return 'none';
  return r.pretrainDataset === r.dataset.family ? 'same' : 'transfer';
}

/**
 * Published references of exactly the result's setting: the same protocol,
 * evaluation dataset, label fraction, and the same kind of pretraining
 * ('same' dataset, 'transfer' from another, or 'none' = trained from scratch).
 * Anything else is a different experiment and is not shown beside the row.
 */
export function matchingReferences(r: ProtocolResult, refs: Reference[]): Reference[] {
  const setting = settingOf(r);
  return refs.filter((ref) => ref.protocol === r.protocol && ref.dataset === r.dataset.family && ref.labelFraction === r.labelFraction && ref.setting === setting);
}

export const REPORT_COLUMNS = [
  'protocol',
  'encoder',
  'recipe',
  'dataset',
  'pretrained on',
  'labels',
  'top-1 %',
  'top-5 %',
  'reference top-1 %',
  'reference',
  'wall s',
  'epochs',
  'images',
  'backend',
] as const;
export type ReportRow = Record<(typeof REPORT_COLUMNS)[number], string>;

const pct = (x: number | null): string => (x === null ? '' : (100 * x).toFixed(2));

/**
 * What was evaluated, so a number is never read without its scale: the run's
 * architecture and pretraining epochs (the checkpoint's), or what stood in for
 * a pretrained encoder.
 */
export function encoderLabel(report: EvalReport, r: ProtocolResult): string {
  if (r.protocol === 'pixels') return 'none (raw pixels)';
  if (r.pretrainDataset === null) return `${report.run.arch}, random init`;
  const epochs = typeof r.settings.checkpointEpoch === 'number' ? r.settings.checkpointEpoch : report.run.pretrainEpochs;
  return `${report.run.arch}, ${epochs ?? '?'} epoch${epochs === 1 ? '' : 's'}`;
}

/** Which named recipe or protocol variant produced the result ('' where the protocol has none). */
export function recipeLabel(r: ProtocolResult): string {
  const s = r.settings;
  if (typeof s.recipe === 'string') return s.recipe;
  if (typeof s.linearProtocol === 'string') return s.linearProtocol;
  if (r.protocol === 'knn' && typeof s.k === 'number') return `k=${s.k}`;
  return '';
}

/** The comparison table: one row per result, its published counterparts (same setting only) beside it. */
export function reportRows(report: EvalReport): ReportRow[] {
  return report.results.map((r) => {
    const refs = matchingReferences(r, report.references);
    return {
      protocol: PROTOCOL_TITLES[r.protocol],
      encoder: encoderLabel(report, r),
      recipe: recipeLabel(r),
      dataset: `${r.dataset.name} @${r.dataset.inputSize}px`,
      'pretrained on': r.pretrainDataset ?? '',
      labels: `${+(100 * r.labelFraction).toFixed(2)}%`,
      'top-1 %': pct(r.metrics.top1),
      'top-5 %': pct(r.metrics.top5),
      'reference top-1 %': refs.map((x) => x.top1.toFixed(2)).join('; '),
      reference: refs.map(describeReference).join('; '),
      'wall s': r.compute.wallSeconds.toFixed(1),
      epochs: String(+r.compute.epochs.toFixed(3)),
      images: String(r.compute.images),
      backend: r.compute.backend,
    };
  });
}

/** "SimCLR (...) Appendix Table B.5: ResNet-50, pretrained on ImageNet (SimCLR), linear evaluation" (+ epochs and batch where known) */
export function describeReference(x: Reference): string {
  const scale = [x.pretrainEpochs ? `${x.pretrainEpochs} epochs` : '', x.batchSize ? `batch ${x.batchSize}` : ''].filter(Boolean).join(', ');
  return `${x.source} ${x.where}: ${x.arch}, pretrained on ${x.pretraining}${scale ? ` (${scale})` : ''}, ${x.evaluation}${x.labelFraction < 1 ? ` with ${+(100 * x.labelFraction).toFixed(2)}% of labels` : ''}`;
}

const mdCell = (s: string): string => s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

/** Markdown: a heading, the comparison table, and the list of references. */
export function reportToMarkdown(report: EvalReport): string {
  const rows = reportRows(report);
  const lines = [
    `# Evaluation of run ${report.run.id}`,
    '',
    `Encoder ${report.run.arch}, pretrained on ${report.run.pretrainDataset}${report.run.pretrainEpochs !== null ? ` for ${report.run.pretrainEpochs} epoch${report.run.pretrainEpochs === 1 ? '' : 's'}` : ''}. Updated ${report.updatedAt}.`,
    '',
    'Compute: wall s is the wall-clock time of the protocol; epochs are passes over the training images by what was trained',
    '(the classifier for linear evaluation, counted as full-batch L-BFGS passes; the whole network for fine-tuning and',
    'supervised); images are images through the network (feature extraction, training steps, the test pass).',
    '',
    `| ${REPORT_COLUMNS.map(mdCell).join(' | ')} |`,
    `|${REPORT_COLUMNS.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${REPORT_COLUMNS.map((c) => mdCell(row[c])).join(' | ')} |`),
    '',
    '## Published reference numbers',
    '',
    ...report.references.map((x) => `- ${describeReference(x)}, on ${x.dataset}: ${x.top1.toFixed(2)}%${x.note ? ` (${x.note})` : ''}`),
    '',
  ];
  return lines.join('\n');
}

const csvCell = (s: string): string => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** CSV (RFC 4180): a header line of REPORT_COLUMNS, then one line per row. */
export function reportToCsv(report: EvalReport): string {
  const rows = reportRows(report);
  return [REPORT_COLUMNS.map(csvCell).join(','), ...rows.map((row) => REPORT_COLUMNS.map((c) => csvCell(row[c])).join(','))].join('\r\n') + '\r\n';
}

/** The table back from reportToCsv's output. */
export function parseReportCsv(text: string): ReportRow[] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      record.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      record.push(field);
      records.push(record);
      record = [];
      field = '';
    } else field += ch;
  }
  if (field || record.length) {
    record.push(field);
    records.push(record);
  }
  return toRows(records, 'CSV');
}

/** The table back from reportToMarkdown's output (the first pipe table). */
export function parseReportMarkdown(text: string): ReportRow[] {
  const lines = text.split(/\r?\n/);
  const start = lines.findIndex((l) => l.startsWith('| '));
  if (start < 0) throw new Error('Markdown report: no table found');
  const records: string[][] = [];
  for (let i = start; i < lines.length && lines[i]!.startsWith('|'); i++) {
    if (i === start + 1) continue; // the |---| separator
    records.push(splitMdRow(lines[i]!));
  }
  return toRows(records, 'Markdown');
}

function splitMdRow(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  // Drop the leading "| " and trailing " |", then split on unescaped pipes.
  const body = line.slice(2, line.endsWith(' |') ? -2 : undefined);
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (ch === '\\' && i + 1 < body.length) {
      cell += body[++i];
    } else if (ch === '|' && body[i - 1] === ' ' && body[i + 1] === ' ') {
      cells.push(cell.slice(0, -1));
      cell = '';
      i++;
    } else cell += ch;
  }
  cells.push(cell);
  return cells;
}

function toRows(records: string[][], what: string): ReportRow[] {
  const [header, ...body] = records;
  if (!header || header.join('\u0000') !== REPORT_COLUMNS.join('\u0000')) {
    throw new Error(`${what} report: header does not match the expected columns (${REPORT_COLUMNS.join(', ')})`);
  }
  return body.map((rec, n) => {
    if (rec.length !== REPORT_COLUMNS.length) throw new Error(`${what} report: row ${n + 1} has ${rec.length} cells, expected ${REPORT_COLUMNS.length}`);
    return Object.fromEntries(REPORT_COLUMNS.map((c, i) => [c, rec[i]!])) as ReportRow;
  });
}
