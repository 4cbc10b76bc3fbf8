/**
 * Embeddings: the options of an embedding job, its progress events, and the
 * files it leaves in `<run>/embeddings/` (read by the projector UI).
 *
 * Files (all written to a temporary name and renamed):
 *   <name>.bin                  features: h (float32 n x dh), z (float32 n x dz, optional),
 *                               labels (int32 n, -1 when unlabeled), indices (int32 n: image
 *                               index in the split)
 *   <name>.<method>-<f>.bin     2-D projection of features f (h or z): coords (float32 n x 2),
 *                               labels, indices; meta says method, parameters, KL, time
 *   <name>.atlas.json           thumbnail atlas index (atlasIndexSchema)
 *   <name>.atlas-<k>.png        sprite sheets
 *
 * Binary layout of the .bin files (little-endian), one self-describing file:
 *   bytes 0..7    magic "SCWBEMB1"
 *   bytes 8..11   uint32: byte length H of the JSON header
 *   bytes 12..    the header (embedFileHeaderSchema), UTF-8, padded with spaces so that
 *                 12 + H is a multiple of 16
 *   then          each array at header.arrays[name].offset (absolute, 16-byte aligned),
 *                 row-major, byteLength = product(shape) x 4
 *
 * Imports nothing from Node or Electron.
 */
import { z } from 'zod';
import { ValidationError, zodIssues } from './validation.js';

export const EMBED_METHODS = ['tsne', 'umap'] as const;
export type EmbedMethod = (typeof EMBED_METHODS)[number];
export const EMBED_FEATURES = ['h', 'z'] as const;
export type EmbedFeatures = (typeof EMBED_FEATURES)[number];
export const TSNE_GRADIENTS = ['auto', 'exact', 'fft'] as const;

export const EMBED_FILE_MAGIC = 'SCWBEMB1';
export const EMBED_FILE_FORMAT = 'simclr-workbench-embedding';

export const embedArraySchema = z.object({
  dtype: z.enum(['float32', 'int32']),
  shape: z.array(z.number().int().min(0)).min(1),
  /** absolute byte offset in the file, a multiple of 16 */
  offset: z.number().int().min(0),
  byteLength: z.number().int().min(0),
});

export const embedFileHeaderSchema = z.object({
  format: z.literal(EMBED_FILE_FORMAT),
  version: z.literal(1),
  kind: z.enum(['features', 'projection']),
  /** number of points (rows of every array) */
  count: z.number().int().min(0),
  arrays: z.record(z.string(), embedArraySchema),
  meta: z.record(z.string(), z.unknown()),
});
export type EmbedFileHeader = z.infer<typeof embedFileHeaderSchema>;
export type EmbedArrayInfo = z.infer<typeof embedArraySchema>;

/** meta of a features file */
export const featuresMetaSchema = z
  .object({
    /** where the features came from: a run's encoder, raw pixels (PCA), or another file */
    source: z.enum(['run', 'pixels', 'file']),
    run: z.string().nullable(),
    dataset: z.string().nullable(),
    split: z.string().nullable(),
    /** checkpoint epoch of the encoder; null for pixels or the random init */
    epoch: z.number().int().nullable(),
    /** seed of the sampled subset; null when the whole split was taken */
    sampleSeed: z.number().int().nullable(),
    createdAt: z.string(),
  })
  .loose();
export type FeaturesMeta = z.infer<typeof featuresMetaSchema>;

/** meta of a projection file */
export const projectionMetaSchema = z
  .object({
    method: z.enum(EMBED_METHODS),
    features: z.string(),
    /** the features file it was computed from (basename) */
    from: z.string(),
    params: z.record(z.string(), z.unknown()),
    /** final KL(P || Q) for t-SNE */
    kl: z.number().nullable(),
    seconds: z.number(),
    backend: z.string(),
    createdAt: z.string(),
  })
  .loose();
export type ProjectionMeta = z.infer<typeof projectionMetaSchema>;

export const atlasSheetSchema = z.object({
  /** PNG file name, beside the index */
  file: z.string(),
  width: z.number().int(),
  height: z.number().int(),
  /** cells used on this sheet */
  cells: z.number().int(),
});

/**
 * Atlas index. Cell c (0-based, in the order of the projection's points) is on
 * sheet floor(c / cellsPerSheet), at column (c mod cellsPerSheet) mod columns and
 * row floor((c mod cellsPerSheet) / columns); it shows image images[c] of the
 * split. `cellOf` below computes it.
 */
export const atlasIndexSchema = z.object({
  format: z.literal('simclr-workbench-atlas'),
  version: z.literal(1),
  /** side of a square cell in pixels */
  cellSize: z.number().int().positive(),
  columns: z.number().int().positive(),
  cellsPerSheet: z.number().int().positive(),
  count: z.number().int().min(0),
  sheets: z.array(atlasSheetSchema),
  /** split image index shown in each cell */
  images: z.array(z.number().int()),
});
export type AtlasIndex = z.infer<typeof atlasIndexSchema>;

export interface AtlasCell {
  sheet: number;
  /** pixel offsets of the cell's top-left corner in its sheet */
  x: number;
  y: number;
  size: number;
}

export function cellOf(index: AtlasIndex, cell: number): AtlasCell {
  if (!(cell >= 0 && cell < index.count)) throw new RangeError(`atlas cell ${cell} out of range 0..${index.count - 1}`);
  const sheet = Math.floor(cell / index.cellsPerSheet);
  const at = cell % index.cellsPerSheet;
  return { sheet, x: (at % index.columns) * index.cellSize, y: Math.floor(at / index.columns) * index.cellSize, size: index.cellSize };
}

/** Options of an embedding job (CLI, server, UI). */
export const embedOptionsSchema = z
  .object({
    split: z.string().default('test'),
    /** number of images (a seeded sample when below the split size); 0 = all */
    n: z.number().int().min(0).default(5000),
    seed: z.number().int().default(0),
    method: z.enum(EMBED_METHODS).default('tsne'),
    features: z.enum(EMBED_FEATURES).default('h'),
    /** checkpoint: 'latest', 'init' or an epoch number */
    checkpoint: z.union([z.literal('latest'), z.literal('init'), z.number().int().min(0)]).default('latest'),
    perplexity: z.number().positive().default(30),
    iterations: z.number().int().min(1).default(1000),
    gradient: z.enum(TSNE_GRADIENTS).default('auto'),
    /** UMAP */
    neighbors: z.number().int().min(2).default(15),
    minDist: z.number().min(0).default(0.1),
    /** thumbnail atlas */
    atlas: z.boolean().default(true),
    cellSize: z.number().int().min(4).max(256).default(32),
    /** output name (files <name>.*); default "<split>-<n>" */
    name: z
      .string()
      .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, ".", "_" and "-" only')
      .optional(),
    batchSize: z.number().int().positive().default(256),
  })
  .strict();
export type EmbedOptionsInput = z.input<typeof embedOptionsSchema>;
export type EmbedOptions = z.output<typeof embedOptionsSchema>;

export function parseEmbedOptions(raw: unknown, source = 'embed options'): EmbedOptions {
  const r = embedOptionsSchema.safeParse(raw);
  if (!r.success) throw new ValidationError(zodIssues(r.error, '(options)'), 'embed options', source);
  return r.data;
}

/** Progress of an embedding job. */
export const embedProgressSchema = z.object({
  stage: z.enum(['extract', 'affinities', 'optimize', 'atlas', 'done']),
  /** images or iterations done / total in this stage */
  done: z.number(),
  total: z.number(),
  /** KL(P || Q) of t-SNE when known */
  kl: z.number().optional(),
  elapsedMs: z.number(),
  etaMs: z.number().optional(),
});
export type EmbedProgress = z.infer<typeof embedProgressSchema>;
