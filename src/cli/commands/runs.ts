import path from 'node:path';
import { RUN_STATUSES } from '../../shared/run.js';
import { RUN_SORT_KEYS, type RunSummary } from '../../shared/runs.js';
import { defaultDataRoot, RunStore } from '../../engine/runs/index.js';
import { DATA_ROOT_DEFAULT_TEXT } from '../../shared/data-root.js';
import { defineCommand, didYouMean, parse, UsageError } from '../args.js';
import { printResult } from '../output.js';
import { INTERCHANGE_ACTIONS, INTERCHANGE_HELP, runInterchange } from './runs-interchange.js';

/** Each action and its usage line; `runs ACTION --help` prints that line. */
const ACTIONS = {
  list: `list [--status ${RUN_STATUSES.join('|')}] [--dataset ID] [--tag T] [--text Q] [--sort ${RUN_SORT_KEYS.join('|')}] [--asc]`,
  show: 'show ID',
  compare: 'compare ID ID [ID...]',
  tag: 'tag ID [+tag ...] [-tag ...]     (write -- before the first -tag)',
  rename: 'rename ID NAME',
  notes: 'notes ID TEXT',
  rm: 'rm ID                 move to the trash',
  restore: 'restore ID            bring back from the trash',
  trash: 'trash                 list the trash',
  export: 'export ID FILE.tar.gz [--all-checkpoints]',
  import: 'import FILE.tar.gz',
} as const;
type Action = keyof typeof ACTIONS;
const ACTION_NAMES = Object.keys(ACTIONS) as Action[];
const COMMON = `--data-root DIR (default ${DATA_ROOT_DEFAULT_TEXT}); --json: the result as JSON on stdout`;

const HELP = `usage: simclr-workbench runs <action> [options]   (${COMMON})
${ACTION_NAMES.map((a) => `  ${ACTIONS[a]}`).join('\n')}
${INTERCHANGE_HELP}`;

function helpFor(argv: string[]): string {
  const action = argv[0] as Action;
  return ACTION_NAMES.includes(action) ? `usage: simclr-workbench runs ${ACTIONS[action]}\n\n  ${COMMON}` : HELP;
}

const pct = (v: number | null) => (v === null ? '-' : `${(v * 100).toFixed(1)}%`);
const num = (v: number | null) => (v === null ? '-' : v.toFixed(4));

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd()).join('\n');
}

function listTable(runs: RunSummary[]): string {
  const head = ['ID', 'NAME', 'STATUS', 'DATASET', 'MODEL', 'EPOCHS', 'LOSS', 'KNN', 'LINEAR', 'TAGS'];
  return table([
    head,
    ...runs.map((r) => [r.id, r.name, r.status, r.datasetId, r.model, `${r.epochsCompleted}/${r.epochs}`, num(r.finalLoss), pct(r.knnAccuracy), pct(r.linearAccuracy), r.tags.join(',')]),
  ]);
}

export const runsCommand = defineCommand(helpFor, async (argv) => {
  const [action, ...rest] = argv;
  if (!action || action === 'help') {
    console.log(HELP);
    return;
  }
  if ((INTERCHANGE_ACTIONS as readonly string[]).includes(action)) return runInterchange(action as (typeof INTERCHANGE_ACTIONS)[number], rest);
  if (!ACTION_NAMES.includes(action as Action)) throw new UsageError(`runs: unknown action "${action}"${didYouMean(action, [...ACTION_NAMES, ...INTERCHANGE_ACTIONS])}\n\n${HELP}`);
  const { values, positionals } = parse(`runs ${action}`, rest, {
    'data-root': { type: 'string' },
    json: { type: 'boolean' },
    status: { type: 'string' },
    dataset: { type: 'string' },
    tag: { type: 'string' },
    text: { type: 'string' },
    sort: { type: 'string' },
    asc: { type: 'boolean' },
    'all-checkpoints': { type: 'boolean' },
  });
  const store = new RunStore(path.resolve(values['data-root'] ?? defaultDataRoot()));
  const out = (value: unknown, text: () => string) => printResult(!!values.json, value, text);
  const need = (n: number, what: string) => {
    if (positionals.length < n) throw new UsageError(`runs ${action}: expected ${what}\n\n${HELP}`);
  };
  switch (action) {
    case 'list': {
      if (values.status && !(RUN_STATUSES as readonly string[]).includes(values.status)) throw new UsageError(`runs list: --status must be one of ${RUN_STATUSES.join(', ')}`);
      if (values.sort && !(RUN_SORT_KEYS as readonly string[]).includes(values.sort)) throw new UsageError(`runs list: --sort must be one of ${RUN_SORT_KEYS.join(', ')}`);
      const result = store.list({
        status: values.status as RunSummary['status'] | undefined,
        dataset: values.dataset,
        tag: values.tag,
        text: values.text,
        sort: values.sort as (typeof RUN_SORT_KEYS)[number] | undefined,
        descending: !values.asc,
      });
      out(result, () => {
        const lines = [result.runs.length ? listTable(result.runs) : `no runs in ${store.runsRoot}`];
        for (const s of result.skipped) lines.push(`skipped ${s.id}: ${s.reason.split('\n')[0]}`);
        return lines.join('\n');
      });
      return;
    }
    case 'show': {
      need(1, 'a run id');
      const d = store.show(positionals[0]!);
      out(d, () =>
        [
          listTable([d.summary]),
          '',
          `dataset   ${d.record.dataset.name} (${d.record.dataset.trainCount} train / ${d.record.dataset.testCount} test, sha256 ${d.record.dataset.checksum.slice(0, 12)})`,
          `backend   ${d.record.backend.name} on ${d.record.backend.device}`,
          `lr        ${d.record.learningRate} (${d.record.config.optimizer.name}, ${d.record.config.optimizer.lrScaling} scaling), temperature ${d.record.config.temperature}, seed ${d.record.seed}`,
          `started   ${d.record.startedAt}${d.record.endedAt ? `, ended ${d.record.endedAt}` : ''}`,
          ...Object.entries(d.evaluations).map(([p, v]) => `eval      ${p}: ${pct(v)}`),
          d.annotations.notes ? `notes     ${d.annotations.notes}` : '',
          ...d.summary.warnings.map((w) => `warning   ${w}`),
        ]
          .filter(Boolean)
          .join('\n'),
      );
      return;
    }
    case 'compare': {
      need(2, 'two or more run ids');
      const c = store.compare(positionals);
      out(c, () => {
        const lines = [listTable(c.runs), '', 'config differences:'];
        if (!c.configDiff.length) lines.push('  (none)');
        for (const d of c.configDiff) lines.push(`  ${d.path}: ${positionals.map((id) => `${id}=${JSON.stringify(d.values[id])}`).join('  ')}`);
        const protocols = [...new Set(Object.values(c.evaluations).flatMap((e) => Object.keys(e)))];
        if (protocols.length) {
          lines.push('', table([['RUN', ...protocols], ...positionals.map((id) => [id, ...protocols.map((p) => pct(c.evaluations[id]?.[p] ?? null))])]));
        }
        return lines.join('\n');
      });
      return;
    }
    case 'tag': {
      need(1, 'a run id and +tag/-tag arguments');
      const [id, ...changes] = positionals;
      const bad = changes.filter((c) => !/^[+-]./.test(c));
      if (bad.length) throw new UsageError(`runs tag: write tags as +name to add or -name to remove (got ${bad.join(', ')}); use -- before a -tag`);
      const a = store.tag(id!, changes.filter((c) => c[0] === '+').map((c) => c.slice(1)), changes.filter((c) => c[0] === '-').map((c) => c.slice(1)));
      out(a, () => `${id}: tags ${a.tags.join(', ') || '(none)'}`);
      return;
    }
    case 'rename': {
      need(2, 'a run id and a name');
      const a = store.rename(positionals[0]!, positionals.slice(1).join(' '));
      out(a, () => `${positionals[0]}: renamed to "${a.name}"`);
      return;
    }
    case 'notes': {
      need(2, 'a run id and the notes text');
      const a = store.setNotes(positionals[0]!, positionals.slice(1).join(' '));
      out(a, () => `${positionals[0]}: notes saved`);
      return;
    }
    case 'rm': {
      need(1, 'a run id');
      store.trash(positionals[0]!);
      out({ trashed: positionals[0] }, () => `${positionals[0]}: moved to the trash (runs restore ${positionals[0]} brings it back)`);
      return;
    }
    case 'restore': {
      need(1, 'a run id');
      store.restore(positionals[0]!);
      out({ restored: positionals[0] }, () => `${positionals[0]}: restored`);
      return;
    }
    case 'trash': {
      const t = store.listTrash();
      out(t, () => (t.length ? t.map((x) => `${x.id}  trashed ${x.trashedAt}`).join('\n') : 'the trash is empty'));
      return;
    }
    case 'export': {
      need(2, 'a run id and an archive path');
      const r = await store.exportRun(positionals[0]!, path.resolve(positionals[1]!), { allCheckpoints: values['all-checkpoints'] });
      out({ file: path.resolve(positionals[1]!), ...r }, () => `${positionals[0]}: exported to ${positionals[1]} (${(r.bytes / 1e6).toFixed(1)} MB)`);
      return;
    }
    case 'import': {
      need(1, 'an archive path');
      const id = await store.importRun(path.resolve(positionals[0]!));
      out({ id }, () => `imported as ${id}`);
      return;
    }
  }
});
