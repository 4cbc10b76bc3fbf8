/**
 * Embeddings: feature extraction, t-SNE / UMAP projections and thumbnail atlases.
 *
 * Public API
 * ----------
 *   embedRun(runDir, options, ctl?) -> EmbedOutcome                                   (pipeline.ts)
 *     options: EmbedOptionsInput (src/shared/embed.ts: split, n, seed, method tsne|umap, features h|z,
 *     checkpoint, perplexity, iterations, gradient auto|exact|fft, neighbors, minDist, atlas, cellSize,
 *     name, batchSize). ctl: { signal, onProgress(EmbedProgress), backend, dataRoot, cache }.
 *     Loads the run's encoder (train/loadEncoder), opens the run's dataset, takes the split or a seeded
 *     sample, extracts h and z in batches (no gradients; reused when <name>.bin already holds the same
 *     checkpoint/split/sample), projects, writes the atlas. Files in <run>/embeddings/:
 *       <name>.bin (features), <name>.<method>-<h|z>.bin (projection), <name>.atlas.json + .atlas-K.png.
 *     Default name: "<split>-all" or "<split>-n<count>-s<seed>", plus "-e<epoch>"/"-init" for a checkpoint
 *     other than latest. Cancelling (signal) rejects with an AbortError between batches/iterations.
 *   embedPixels(dataset, outDir, options & { pcaDims? }, ctl?)   raw pixels / 255 -> PCA (50) -> same outputs
 *   embedFeaturesFile(file, outDir | null, options, ctl?)         project an existing features file
 *   projectPoints(points, options, ctl?) -> { coords, kl, seconds, params }
 *
 *   tsne(points: {data: Float32Array n x d, n, d}, opts?) -> TsneResult { coords n x 2, kl, method, ... }  (tsne.ts)
 *     perplexity 30, iterations 1000, early exaggeration 12 for 250 iterations, momentum 0.5 -> 0.8, gains,
 *     learningRate 'auto' = max(n / 12 / 4, 50) (scikit-learn's rule for a gradient with the factor 4),
 *     init 'pca' (std 1e-4) | 'random' | coordinates, method 'auto' (exact up to exactMaxPoints = 1000,
 *     else fft) | 'exact' (dense P, gradient as tensor ops in row chunks) | 'fft' (kNN P with 3 x
 *     perplexity neighbours; repulsion interpolated on a grid and convolved by FFT: TensorFlow's
 *     RFFT2D on the tensorflow backend, JS radix-2 / mixed radix elsewhere). onProgress({phase, iteration, kl,
 *     elapsedMs, etaMs}) every progressEvery (25) iterations; signal cancels.
 *   umap(points, { neighbors 15, minDist 0.1, epochs?, seed, signal, onProgress }) -> UmapResult      (umap.ts)
 *
 *   Pieces: calibrateRows / symmetrize / denseAffinities (affinities.ts), knn (knn.ts), pca (pca.ts),
 *   FftRepulsion / fftGradient (tsne-fft.ts), ExactGradient (tsne-exact.ts), fft2d (fft.ts),
 *   trustworthiness / knnAccuracy (metrics.ts), writeAtlas / readAtlasIndex (atlas.ts),
 *   sampleIndices / extractFeatures / openRunDataset (extract.ts).
 *
 *   Files (store.ts; binary layout documented in src/shared/embed.ts):
 *     writeFeatures / readFeatures, writeProjection / readProjection, writeEmbeddingFile /
 *     readEmbeddingFile / readEmbeddingHeader, listEmbeddings(runDir), embeddingsDir(runDir).
 */
export { embedRun, embedPixels, embedFeaturesFile, projectPoints, pixelsOf, type EmbedControl, type EmbedOutcome, type Projected } from './pipeline.js';
export { tsne, autoLearningRate, initialCoords, sparseAffinities, TSNE_DEFAULTS, type TsneMethod, type TsneOptions, type TsneProgress, type TsneResult } from './tsne.js';
export { umap, type UmapOptions, type UmapProgress, type UmapResult } from './umap.js';
export { calibrateRow, calibrateRows, symmetrize, upperPairs, denseAffinities, PERPLEXITY_TOL, type AffinityPairs, type ConditionalAffinities, type SparseAffinities } from './affinities.js';
export { knn, centered, type Knn, type Points } from './knn.js';
export { pca, seededRandom, gaussian, symmetricEigen, type PcaResult } from './pca.js';
export { FftRepulsion, fftGradient, type FftRepulsionOptions } from './tsne-fft.js';
export { ExactGradient } from './tsne-exact.js';
export { fft2d, fft2dCost, Fft2dMixed, Fft2dRadix2, Fft1dColumns, isSmooth, type Fft2dPlan } from './fft.js';
export { trustworthiness, knnAccuracy } from './metrics.js';
export { writeAtlas, readAtlasIndex, resizeBox, type AtlasOptions } from './atlas.js';
export { sampleIndices, extractFeatures, openRunDataset, splitOf, type ExtractOptions, type ExtractedFeatures } from './extract.js';
export {
  EMBEDDINGS_DIR,
  embeddingsDir,
  encodeEmbeddingFile,
  decodeEmbeddingFile,
  writeEmbeddingFile,
  readEmbeddingFile,
  readEmbeddingHeader,
  writeFeatures,
  readFeatures,
  writeProjection,
  readProjection,
  listEmbeddings,
  type EmbeddingFile,
  type EmbeddingListing,
  type Features,
  type Projection,
  type StoredArray,
} from './store.js';
