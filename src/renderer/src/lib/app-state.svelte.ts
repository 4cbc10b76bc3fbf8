/**
 * State shared by the views: what the engine runs on, the settings, the
 * dataset being worked on, the pipeline being designed, and hand-offs between
 * views (a cloned config for the Train form, the run to show in Embeddings).
 * One instance; views read and assign its fields directly.
 */
import type { ApiResponse, BackendInfoDto } from '../../../shared/api';
import type { DatasetSummary } from '../../../shared/dataset';
import { pipelinePreset, type Pipeline, type PipelinePresetName } from '../../../shared/pipeline';
import type { Settings } from '../../../shared/settings';
import type { TrainConfigInput } from '../../../shared/train-config';
import { api } from './api';
import { toShownError, type ShownError } from './errors';

export type AppInfo = ApiResponse<'app.info'>;

class AppState {
  info = $state<AppInfo | null>(null);
  backend = $state<BackendInfoDto | null>(null);
  backendError = $state<ShownError | null>(null);
  settings = $state<Settings | null>(null);

  /** the dataset every view works on; its `id` is what requests pass as `dataset` */
  dataset = $state<DatasetSummary | null>(null);
  datasetBusy = $state<string | null>(null);
  datasetError = $state<ShownError | null>(null);

  /** the designer's pipeline; the Train form can train with it */
  pipeline = $state<Pipeline>(pipelinePreset('SimCLR CIFAR'));
  /** the preset the designer's pipeline started from (null: a file or a draft of unknown origin) */
  pipelineOrigin = $state<PipelinePresetName | null>('SimCLR CIFAR');
  /** the pipeline differs from the preset it started from */
  get pipelineModified(): boolean {
    return this.pipelineOrigin !== null && JSON.stringify($state.snapshot(this.pipeline)) !== JSON.stringify(pipelinePreset(this.pipelineOrigin));
  }

  /** train-split images the designer previews */
  previewImages = $state<number[]>([0, 1, 2, 3]);

  /** "clone to retrain": a config the Train form picks up once */
  pendingTrainConfig = $state<TrainConfigInput | null>(null);

  /** Open (importing when needed) a dataset and make it current; remembered in the recent list. */
  async openDataset(arg: string | { kind: 'path'; path: string; format?: 'auto' | 'cifar10' | 'cifar100' | 'idx' | 'folder' }, label?: string): Promise<boolean> {
    this.datasetBusy = label ?? (typeof arg === 'string' ? arg : arg.path);
    this.datasetError = null;
    try {
      const summary = await api.call('datasets.open', { dataset: arg });
      this.dataset = summary;
      void this.remember(summary.id);
      return true;
    } catch (err) {
      this.datasetError = toShownError(err);
      return false;
    } finally {
      this.datasetBusy = null;
    }
  }

  private async remember(id: string) {
    const recent = [id, ...(this.settings?.recentDatasets ?? []).filter((r) => r !== id)].slice(0, 20);
    try {
      this.settings = await api.call('settings.set', { patch: { recentDatasets: recent } });
    } catch {
      // Remembering is a convenience; the dataset is open either way.
    }
  }
}

export const app = new AppState();
