/**
 * What the embedding engine refuses once it has the points (t-SNE needs
 * perplexity < n, UMAP needs fewer neighbours than points), checked in the
 * form so the job is not started only to fail a second later.
 */
export function embedLimitProblems(o: { method: string; perplexity?: number; neighbors?: number }, points: number | null): Map<string, string> {
  const out = new Map<string, string>();
  if (points === null) return out;
  if (o.method === 'tsne' && typeof o.perplexity === 'number' && o.perplexity >= points) {
    out.set('perplexity', `Perplexity must be below the number of points (${points}); try ${Math.max(1, Math.min(30, Math.floor((points - 1) / 3)))}`);
  }
  if (o.method === 'umap' && typeof o.neighbors === 'number' && o.neighbors >= points) {
    out.set('neighbors', `Neighbours must be below the number of points (${points})`);
  }
  return out;
}
