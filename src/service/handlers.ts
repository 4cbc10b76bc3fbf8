import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { BUILTIN_DATASET_IDS, type BuiltinDatasetId, type DatasetProgress } from '../shared/dataset.js';
import type { ProjectionMeta } from '../shared/embed.js';
import { apiMethods, DatasetJobConfigSchema, EmbedConfigSchema, EvalConfigSchema, ResumeConfigSchema, SelftestConfigSchema, type ApiMethod, type ApiMethods } from '../shared/api.js';
import { trainConfigSchema } from '../shared/train-config.js';
import { ApiCallError } from '../engine/jobs/errors.js';
import { jobMethod } from '../engine/jobs/protocol.js';
import { handler, type HandlerContext, type HandlerTable } from '../engine/jobs/runner.js';
import { datasetProgress, embedProgress, evalProgress, trainProgress } from './progress.js';
import { selftestJob } from './selftest.js';

/**
 * The dispatcher: worker method name -> engine function. API methods that
 * need the engine run on the interactive worker under their API name; long
 * jobs run as `job.<kind>` in a process of their own. Engine modules are
 * imported lazily so a worker only loads what it is asked to run.
 */

function req<M extends ApiMethod>(m: M): ApiMethods[M]['request'] {
  return apiMethods[m].request;
}

async function data() {
  return import('../engine/data/index.js');
}

async function runStore(ctx: HandlerContext) {
  const { RunStore } = await import('../engine/runs/index.js');
  return new RunStore(ctx.env.dataRoot);
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** A file in a run's embeddings folder; names are checked by the API schema (no separators). */
async function embeddingFile(ctx: HandlerContext, runId: string, file: string) {
  const [embed, store] = await Promise.all([import('../engine/embed/index.js'), runStore(ctx)]);
  store.show(runId); // a NotFoundError (404) for an unknown run
  const runDir = store.dir(runId);
  const full = path.join(embed.embeddingsDir(runDir), file);
  if (!fs.existsSync(full)) throw new ApiCallError('not_found', `run ${runId} has no embeddings file ${file}; compute the embedding first`);
  return { embed, store, runDir, full };
}

async function train(opts: { config?: z.output<typeof trainConfigSchema>; resume?: string }, ctx: HandlerContext) {
  const { trainSimclr } = await import('../engine/train/index.js');
  // The app's backend setting applies when the config leaves the choice to 'auto'.
  const backend = opts.config && opts.config.backend === 'auto' ? ctx.env.backend : undefined;
  const result = await trainSimclr({
    ...(opts.config ? { config: { ...opts.config, dataRoot: opts.config.dataRoot ?? ctx.env.dataRoot } } : { resume: opts.resume! }),
    ...(backend ? { backend } : {}),
    signal: ctx.signal,
    onProgress: (e) => ctx.onProgress(trainProgress(e)),
  });
  return result;
}

export function createHandlers(): HandlerTable {
  return {
    'backend.info': handler(req('backend.info'), async (_p, ctx) => {
      const { initBackend } = await import('../engine/backend/index.js');
      return initBackend(ctx.env.backend);
    }),

    'datasets.list': handler(req('datasets.list'), async (_p, ctx) => ({ datasets: await (await data()).listDatasets(ctx.env.dataRoot) })),
    'datasets.open': handler(req('datasets.open'), async (p, ctx) => {
      const d = await data();
      return d.datasetSummary(await d.openForBrowsing(p.dataset, { dataRoot: ctx.env.dataRoot, signal: ctx.signal }));
    }),
    'datasets.summary': handler(req('datasets.summary'), async (p, ctx) => (await data()).handleSummary(p.dataset, { dataRoot: ctx.env.dataRoot })),
    'datasets.page': handler(req('datasets.page'), async (p, ctx) => (await data()).handleThumbnailPage(p, { dataRoot: ctx.env.dataRoot })),
    'datasets.image': handler(req('datasets.image'), async (p, ctx) => (await data()).handleImage(p, { dataRoot: ctx.env.dataRoot })),

    'augment.preview': handler(req('augment.preview'), async (p, ctx) => {
      const [{ initBackend }, d, augment] = await Promise.all([import('../engine/backend/index.js'), data(), import('../engine/augment/index.js')]);
      await initBackend(ctx.env.backend);
      const ds = await d.openForBrowsing(p.dataset, { dataRoot: ctx.env.dataRoot });
      const set = ds.splits[p.split];
      if (!set) throw new ApiCallError('bad_request', `split: dataset ${ds.id} has no ${p.split} split (it has ${Object.keys(ds.splits).join(', ')})`);
      const pipeline = augment.loadPipeline(p.pipeline as string | Record<string, unknown>);
      const preview = await augment.previewAugmentations(set, p.indices, pipeline, { pairs: p.pairs, seed: p.seed, format: 'png' });
      const png = (t: { width: number; height: number; data: Uint8Array }) => ({ width: t.width, height: t.height, png: base64(t.data) });
      return {
        seed: preview.seed,
        outputSize: preview.outputSize,
        samples: preview.samples.map((s) => ({
          index: s.index,
          label: s.label,
          original: png(s.original),
          pairs: s.pairs.map((pair) => pair.map((v) => ({ image: png(v.image), ops: v.ops }))),
        })),
      };
    }),

    'runs.list': handler(req('runs.list'), async (p, ctx) => (await runStore(ctx)).list(p)),
    'runs.show': handler(req('runs.show'), async (p, ctx) => {
      const [store, { readEvalReport }] = await Promise.all([runStore(ctx), import('../engine/eval/report.js')]);
      const detail = store.show(p.runId);
      let evalReport = null;
      try {
        evalReport = readEvalReport(store.dir(p.runId));
      } catch {
        // an unreadable eval.json is already one of the summary's warnings
      }
      return { ...detail, series: store.series(p.runId), evalReport };
    }),
    'runs.compare': handler(req('runs.compare'), async (p, ctx) => {
      const store = await runStore(ctx);
      return store.compare(p.runIds);
    }),
    'runs.tag': handler(req('runs.tag'), async (p, ctx) => {
      const store = await runStore(ctx);
      return store.tag(p.runId, p.add, p.remove);
    }),
    'runs.annotate': handler(req('runs.annotate'), async (p, ctx) => {
      const store = await runStore(ctx);
      let annotations = store.show(p.runId).annotations;
      if (p.name !== undefined) annotations = store.rename(p.runId, p.name);
      if (p.notes !== undefined) annotations = store.setNotes(p.runId, p.notes);
      return annotations;
    }),
    'runs.evalHistory': handler(req('runs.evalHistory'), async (p, ctx) => {
      const [store, report, history] = await Promise.all([runStore(ctx), import('../engine/eval/report.js'), import('../engine/eval/history.js')]);
      store.show(p.runId); // a NotFoundError (404) for an unknown run
      const dir = store.dir(p.runId);
      return history.historyWithSelection(dir, report.readEvalReport(dir));
    }),
    'runs.evalSelect': handler(req('runs.evalSelect'), async (p, ctx) => {
      const [store, report, history] = await Promise.all([runStore(ctx), import('../engine/eval/report.js'), import('../engine/eval/history.js')]);
      store.show(p.runId); // a NotFoundError (404) for an unknown run
      const dir = store.dir(p.runId);
      return history.historyWithSelection(dir, report.selectResult(dir, p.entryId));
    }),
    'runs.clone': handler(req('runs.clone'), async (p, ctx) => {
      const store = await runStore(ctx);
      return store.cloneConfig(p.runId);
    }),
    'runs.delete': handler(req('runs.delete'), async (p, ctx) => {
      const store = await runStore(ctx);
      store.trash(p.runId);
      return { runId: p.runId, deleted: true as const };
    }),
    'runs.restore': handler(req('runs.restore'), async (p, ctx) => {
      const store = await runStore(ctx);
      store.restore(p.runId);
      return store.show(p.runId).summary;
    }),
    'runs.trash': handler(req('runs.trash'), async (_p, ctx) => ({ runs: (await runStore(ctx)).listTrash() })),
    'runs.exportWeights': handler(req('runs.exportWeights'), async (p, ctx) => {
      const [store, { exportWeights }] = await Promise.all([runStore(ctx), import('../engine/interchange/export-weights.js')]);
      store.show(p.runId); // a NotFoundError (404) for an unknown run
      const r = exportWeights(store.dir(p.runId), { projection: p.projection });
      return { file: r.file, sidecar: r.sidecar, tensors: r.tensors, bytes: r.bytes, warnings: r.warnings };
    }),

    'embeddings.list': handler(req('embeddings.list'), async (p, ctx) => {
      const [embed, store] = await Promise.all([import('../engine/embed/index.js'), runStore(ctx)]);
      store.show(p.runId); // a NotFoundError (404) for an unknown run
      const runDir = store.dir(p.runId);
      const { files, errors } = embed.listEmbeddings(runDir);
      const projections = files
        .filter((f) => f.header.kind === 'projection')
        .map((f) => {
          const meta = f.header.meta as ProjectionMeta;
          const name = meta.from.replace(/\.bin$/, '');
          const atlas = `${name}.atlas.json`;
          return {
            file: f.name,
            name,
            method: meta.method,
            features: meta.features === 'z' ? ('z' as const) : ('h' as const),
            count: f.header.count,
            params: meta.params,
            kl: meta.kl,
            seconds: meta.seconds,
            createdAt: meta.createdAt,
            atlas: fs.existsSync(path.join(embed.embeddingsDir(runDir), atlas)) ? atlas : null,
          };
        })
        .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
      return { projections, errors };
    }),
    'embeddings.get': handler(req('embeddings.get'), async (p, ctx) => {
      const { embed, store, runDir, full } = await embeddingFile(ctx, p.runId, p.file);
      const proj = embed.readProjection(full);
      const record = store.show(p.runId).record;
      const base = path.join(embed.embeddingsDir(runDir), proj.meta.from);
      let split: string | null = null;
      try {
        split = (embed.readEmbeddingHeader(base).meta as { split?: string | null }).split ?? null;
      } catch {
        // the features file may have been removed; the projection stands alone
      }
      const atlasFile = path.join(embed.embeddingsDir(runDir), `${proj.meta.from.replace(/\.bin$/, '')}.atlas.json`);
      return {
        file: p.file,
        count: proj.count,
        coords: Array.from(proj.coords),
        labels: Array.from(proj.labels),
        indices: Array.from(proj.indices),
        split,
        datasetId: record.dataset.id,
        classNames: record.dataset.classNames,
        meta: proj.meta,
        atlas: fs.existsSync(atlasFile) ? embed.readAtlasIndex(atlasFile) : null,
      };
    }),
    'embeddings.atlas': handler(req('embeddings.atlas'), async (p, ctx) => {
      const { full } = await embeddingFile(ctx, p.runId, p.file);
      return { file: p.file, png: fs.readFileSync(full).toString('base64') };
    }),

    [jobMethod('train')]: handler(trainConfigSchema, (config, ctx) => train({ config }, ctx)),
    [jobMethod('resume')]: handler(ResumeConfigSchema, async (p, ctx) => train({ resume: (await runStore(ctx)).dir(p.runId) }, ctx)),
    [jobMethod('eval')]: handler(EvalConfigSchema, async (c, ctx) => {
      const [{ evaluateRun }, store] = await Promise.all([import('../engine/eval/evaluate.js'), runStore(ctx)]);
      const { runId, ...opts } = c;
      const result = await evaluateRun(store.dir(runId), {
        ...opts,
        dataRoot: ctx.env.dataRoot,
        ...(ctx.env.backend ? { backend: ctx.env.backend } : {}),
        signal: ctx.signal,
        onProgress: (e) => ctx.onProgress(evalProgress(e)),
      });
      return { runId, results: result.results };
    }),
    [jobMethod('embed')]: handler(EmbedConfigSchema, async (c, ctx) => {
      const [{ embedRun }, store] = await Promise.all([import('../engine/embed/index.js'), runStore(ctx)]);
      const { runId, ...options } = c;
      const runDir = store.dir(runId);
      const out = await embedRun(runDir, options, {
        dataRoot: ctx.env.dataRoot,
        ...(ctx.env.backend ? { backend: ctx.env.backend } : {}),
        signal: ctx.signal,
        onProgress: (e) => ctx.onProgress(embedProgress(e, runId)),
      });
      return { runId, name: out.name, projection: path.basename(out.projectionFile), count: out.count, kl: out.kl, seconds: out.seconds };
    }),
    [jobMethod('selftest')]: handler(SelftestConfigSchema, selftestJob),
    [jobMethod('dataset')]: handler(DatasetJobConfigSchema, async (c, ctx) => {
      const d = await data();
      const opts = { dataRoot: ctx.env.dataRoot, signal: ctx.signal, onProgress: (e: DatasetProgress) => ctx.onProgress(datasetProgress(e)) };
      if (typeof c.dataset === 'string' && (BUILTIN_DATASET_IDS as readonly string[]).includes(c.dataset)) {
        const id = c.dataset as BuiltinDatasetId;
        const md5 = c.mirror?.md5;
        const sources = md5 ? { [id]: { files: d.SOURCES[id].files.map((f) => ({ ...f, md5: md5[f.name] ?? f.md5 })) } } : undefined;
        const r = await d.downloadDataset(id, { ...opts, ...(c.mirror ? { baseUrl: c.mirror.baseUrl } : {}), ...(sources ? { sources } : {}) });
        return { datasetId: r.dataset.id, downloads: r.downloads, summary: d.datasetSummary(r.dataset) };
      }
      if (c.mirror) throw new ApiCallError('bad_request', `config.mirror: only builtin datasets are downloaded (${BUILTIN_DATASET_IDS.join(', ')})`);
      const r = await d.importDataset(c.dataset, opts);
      return { datasetId: r.dataset.id, downloads: [], summary: d.datasetSummary(r.dataset) };
    }),
  };
}
