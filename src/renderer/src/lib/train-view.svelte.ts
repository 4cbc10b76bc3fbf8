import type { TrainForm } from './train-form';

/** The Train view's state, kept while other views are shown. */
class TrainViewState {
  form = $state<TrainForm | null>(null);
  /** the job shown in the monitor; null = the newest training job */
  jobId = $state<string | null>(null);
}

export const trainView = new TrainViewState();
