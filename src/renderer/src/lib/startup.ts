/**
 * What the app loads when it opens: engine info, settings (and theme), and a
 * dataset to start on, so the first screen is useful rather than blank.
 */
import { api } from './api';
import { app } from './app-state.svelte';
import { toShownError } from './errors';
import { theme } from './theme.svelte';
import { loadDraft, saveDraft } from './drafts';
import { pipelineSchema, PIPELINE_PRESET_NAMES, type Pipeline, type PipelinePresetName } from '../../../shared/pipeline';

interface PipelineDraft {
  pipeline: Pipeline;
  origin: PipelinePresetName | null;
}

function isPipelineDraft(v: unknown): v is PipelineDraft {
  const d = v as Partial<PipelineDraft> | null;
  return !!d && pipelineSchema.safeParse(d.pipeline).success && (d.origin === null || PIPELINE_PRESET_NAMES.includes(d.origin as PipelinePresetName));
}

/** The designer's unsaved pipeline, as it was before a reload. */
function restorePipelineDraft(dataRoot: string) {
  const draft = loadDraft('pipeline', dataRoot, isPipelineDraft);
  if (draft) {
    app.pipeline = draft.pipeline;
    app.pipelineOrigin = draft.origin;
  }
}

/** Keep the designer's pipeline for this data root (called from the shell's effect on every change). */
export function savePipelineDraft(): void {
  const root = app.info?.dataRoot;
  if (root) saveDraft('pipeline', root, { pipeline: app.pipeline, origin: app.pipelineOrigin });
}

export async function loadBasics(): Promise<void> {
  const [info, settings] = await Promise.allSettled([api.call('app.info', {}), api.call('settings.get', {})]);
  if (info.status === 'fulfilled') {
    app.info = info.value;
    restorePipelineDraft(info.value.dataRoot);
  }
  if (settings.status === 'fulfilled') {
    app.settings = settings.value;
    theme.apply(settings.value.theme);
  }
  // The backend loads in the worker and can take a few seconds: don't hold the rest up.
  api.call('backend.info', {}).then(
    (b) => (app.backend = b),
    (err) => (app.backendError = toShownError(err)),
  );
}

/**
 * The dataset to open on start: the most recently used one that still opens,
 * else the first dataset in the cache, else the first dataset the server
 * suggests (the shared CIFAR-10 subset beside the project). With none, the
 * Datasets view shows how to open or import one.
 */
export async function openStartupDataset(): Promise<void> {
  const tried = new Set<string>();
  for (const id of app.settings?.recentDatasets.slice(0, 3) ?? []) {
    tried.add(id);
    if (await app.openDataset(id)) return;
  }
  try {
    const { datasets } = await api.call('datasets.list', {});
    const first = datasets.find((d) => !tried.has(d.id));
    if (first && (await app.openDataset(first.id))) return;
  } catch {
    // an empty or unreadable cache: try the suggestions
  }
  for (const s of app.info?.suggestedDatasets ?? []) {
    if (await app.openDataset({ kind: 'path', path: s.path }, s.name)) return;
  }
  app.datasetError = null;
}
