import type { SortKey } from './run-table';

/** The Runs view's selection, open run and sort, kept while other views are shown. */
class RunsViewState {
  selected = $state<string[]>([]);
  open = $state<string | null>(null);
  sort = $state<{ key: SortKey; descending: boolean }>({ key: 'startedAt', descending: true });
}

export const runsView = new RunsViewState();
