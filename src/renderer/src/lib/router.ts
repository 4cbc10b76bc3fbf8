/**
 * Which view is shown, kept in the address hash (#/runs, #/embeddings?run=ID)
 * so a reload or a bookmark returns to the same place and Back works.
 */
export const VIEWS = ['datasets', 'augment', 'train', 'runs', 'embeddings', 'settings'] as const;
export type ViewName = (typeof VIEWS)[number];

export const VIEW_TITLES: Record<ViewName, string> = {
  datasets: 'Datasets',
  augment: 'Augmentations',
  train: 'Train',
  runs: 'Runs',
  embeddings: 'Embeddings',
  settings: 'Settings',
};

export interface Route {
  view: ViewName;
  params: Record<string, string>;
}

export function parseHash(hash: string): Route {
  const body = hash.replace(/^#\/?/, '');
  const [name = '', query = ''] = body.split('?');
  const view = (VIEWS as readonly string[]).includes(name) ? (name as ViewName) : 'datasets';
  return { view, params: Object.fromEntries(new URLSearchParams(query)) };
}

export function hashFor(view: ViewName, params: Record<string, string> = {}): string {
  const q = new URLSearchParams(params).toString();
  return `#/${view}${q ? `?${q}` : ''}`;
}
