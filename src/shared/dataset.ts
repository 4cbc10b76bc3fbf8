/**
 * Datasets: how the app names a dataset, and what the engine answers about it.
 *
 *   datasetRefSchema / parseDatasetRef(text)   which dataset: builtin id, cached id, or a path
 *   splitStatsSchema / datasetSummarySchema    counts, per-class counts, per-channel mean/std
 *   datasetListEntrySchema                     one cached dataset under <data-root>/datasets/
 *   importReportSchema                         what an import skipped, resized or warned about
 *   thumbnailPageRequestSchema / ...Response   a page of thumbnails (PNG, base64) by split/class
 *   imageRequestSchema / imageResponseSchema   one image at full (or a chosen) size
 *   datasetProgressSchema                      download / extract / decode progress events
 *
 * Images travel as PNG files encoded in base64 (`png` fields): the renderer shows
 * one with `<img src={"data:image/png;base64," + png}>`. Grayscale datasets give
 * grayscale PNGs, RGB datasets RGB PNGs (no alpha).
 *
 * Imports nothing from Node or Electron.
 */
import { z } from 'zod';

/** Datasets the app knows how to download (see src/engine/data/sources.ts). */
export const BUILTIN_DATASET_IDS = ['cifar10', 'cifar100', 'cifar100-coarse', 'fashion-mnist'] as const;
export type BuiltinDatasetId = (typeof BUILTIN_DATASET_IDS)[number];

export const DATASET_FORMATS = ['cifar10', 'cifar100', 'idx', 'folder'] as const;
export const SPLIT_NAMES = ['train', 'test', 'val'] as const;

/** Cache folder names: lower case letters, digits, '.', '_' and '-'. */
export const datasetIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,79}$/, 'a dataset id is 1-80 characters: lower-case letters, digits, ".", "_" or "-", starting with a letter or digit');

export const datasetRefSchema = z.discriminatedUnion('kind', [
  /** a dataset the app can download; opened from the cache, imported from downloads/ when needed */
  z.object({ kind: z.literal('builtin'), id: z.enum(BUILTIN_DATASET_IDS) }).strict(),
  /** a dataset already in the cache, by id */
  z.object({ kind: z.literal('cached'), id: datasetIdSchema }).strict(),
  /** a folder (CIFAR binary, IDX, image folder) or an archive (.tar.gz, .tgz, .tar) */
  z
    .object({
      kind: z.literal('path'),
      path: z.string().min(1, 'give a folder or archive path'),
      format: z.enum(['auto', ...DATASET_FORMATS]).default('auto'),
      /** CIFAR-100 only: which labels to keep */
      labels: z.enum(['fine', 'coarse']).default('fine'),
      /** image folders only: square side the images are resized to (default: the most common size) */
      size: z.number().int().min(8).max(1024).optional(),
      /** image folders only: keep one channel instead of RGB */
      grayscale: z.boolean().default(false),
      /** IDX only: class names (default: Fashion-MNIST names when the path says "fashion", else digits) */
      classNames: z.array(z.string().min(1)).optional(),
      /** cache id (default: derived from the format and the absolute path) */
      id: datasetIdSchema.optional(),
      name: z.string().min(1).max(120).optional(),
    })
    .strict(),
]);
export type DatasetRef = z.infer<typeof datasetRefSchema>;
export type DatasetRefInput = z.input<typeof datasetRefSchema>;

/**
 * Text form used by configs and the CLI: a builtin id ("cifar10"), a path
 * (anything with a slash, or starting with "." or "~"), else a cached id.
 */
export function parseDatasetRef(text: string): DatasetRef {
  const t = text.trim();
  if ((BUILTIN_DATASET_IDS as readonly string[]).includes(t)) return { kind: 'builtin', id: t as BuiltinDatasetId };
  if (/[\\/]/.test(t) || t.startsWith('.') || t.startsWith('~') || /\.(tar\.gz|tgz|tar)$/i.test(t)) {
    return datasetRefSchema.parse({ kind: 'path', path: t });
  }
  const id = datasetIdSchema.safeParse(t);
  if (!id.success) throw new Error(`dataset "${text}": not a builtin id (${BUILTIN_DATASET_IDS.join(', ')}), a cached dataset id, or a path`);
  return { kind: 'cached', id: id.data };
}

/** Accepts a DatasetRef object or its text form. */
export function toDatasetRef(ref: string | DatasetRefInput): DatasetRef {
  return typeof ref === 'string' ? parseDatasetRef(ref) : datasetRefSchema.parse(ref);
}

export const splitStatsSchema = z.object({
  count: z.number().int().min(0),
  /** images per class index; empty for an unlabeled set */
  perClass: z.array(z.number().int().min(0)),
  /** images with label -1 */
  unlabeled: z.number().int().min(0),
  /** per channel, pixel values scaled to [0, 1] */
  mean: z.array(z.number()),
  std: z.array(z.number()),
});
export type SplitStats = z.infer<typeof splitStatsSchema>;

export const splitSummarySchema = splitStatsSchema.extend({
  name: z.enum(SPLIT_NAMES),
  height: z.number().int().positive(),
  width: z.number().int().positive(),
  channels: z.union([z.literal(1), z.literal(3)]),
});
export type SplitSummary = z.infer<typeof splitSummarySchema>;

export const datasetSummarySchema = z.object({
  id: z.string(),
  name: z.string(),
  format: z.enum(DATASET_FORMATS),
  classNames: z.array(z.string()),
  splits: z.array(splitSummarySchema),
  /** sha256 over decoded pixels then labels of every split (train, test, in that order), hex */
  checksum: z.string().optional(),
  /** the folder, archive or URL it was imported from */
  source: z.string().optional(),
});
export type DatasetSummary = z.infer<typeof datasetSummarySchema>;

export const datasetListEntrySchema = datasetSummarySchema.extend({
  /** the cache file */
  file: z.string(),
  bytes: z.number().int(),
  createdAt: z.string(),
  /** sha256 of the source files as read at import, hex */
  sourceChecksum: z.string(),
});
export type DatasetListEntry = z.infer<typeof datasetListEntrySchema>;

export const importReportSchema = z.object({
  id: z.string(),
  /** images read per split */
  counts: z.record(z.string(), z.number().int()),
  /** files that could not be used, with the reason; the rest loaded */
  skipped: z.array(z.object({ file: z.string(), reason: z.string() })),
  /** images whose size differed from the dataset's and were resized */
  resized: z.number().int(),
  /** original sizes seen, "WxH" -> count (image folders) */
  sizes: z.record(z.string(), z.number().int()),
  warnings: z.array(z.string()),
  /** the cache file written, when cached */
  cacheFile: z.string().optional(),
});
export type ImportReport = z.infer<typeof importReportSchema>;

export const thumbnailPageRequestSchema = z
  .object({
    dataset: z.union([z.string().min(1), datasetRefSchema]),
    split: z.enum(SPLIT_NAMES).default('train'),
    /** only images of this class index */
    classIndex: z.number().int().min(0).optional(),
    offset: z.number().int().min(0).default(0),
    limit: z.number().int().min(1).max(1000).default(64),
    /** square side of each thumbnail; default the image size (nearest-neighbour when enlarging) */
    size: z.number().int().min(8).max(1024).optional(),
  })
  .strict();
export type ThumbnailPageRequest = z.input<typeof thumbnailPageRequestSchema>;

export const thumbnailSchema = z.object({
  /** index of the image in its split */
  index: z.number().int(),
  label: z.number().int(),
  labelName: z.string(),
  /** base64 PNG */
  png: z.string(),
});
export const thumbnailPageResponseSchema = z.object({
  split: z.enum(SPLIT_NAMES),
  classIndex: z.number().int().optional(),
  /** images matching the filter */
  total: z.number().int(),
  offset: z.number().int(),
  size: z.number().int(),
  items: z.array(thumbnailSchema),
});
export type ThumbnailPageResponse = z.infer<typeof thumbnailPageResponseSchema>;

export const imageRequestSchema = z
  .object({
    dataset: z.union([z.string().min(1), datasetRefSchema]),
    split: z.enum(SPLIT_NAMES).default('train'),
    index: z.number().int().min(0),
    /** enlarge or shrink to this square side; default the stored size */
    size: z.number().int().min(8).max(1024).optional(),
  })
  .strict();
export type ImageRequest = z.input<typeof imageRequestSchema>;

export const imageResponseSchema = z.object({
  split: z.enum(SPLIT_NAMES),
  index: z.number().int(),
  label: z.number().int(),
  labelName: z.string(),
  width: z.number().int(),
  height: z.number().int(),
  channels: z.union([z.literal(1), z.literal(3)]),
  png: z.string(),
});
export type ImageResponse = z.infer<typeof imageResponseSchema>;

export const datasetProgressSchema = z.object({
  phase: z.enum(['download', 'verify', 'extract', 'read', 'decode', 'cache']),
  /** file being worked on */
  file: z.string(),
  /** bytes (download, verify) or images (decode) done so far */
  done: z.number(),
  /** null when unknown (no Content-Length) */
  total: z.number().nullable(),
  /** download only */
  bytesPerSecond: z.number().optional(),
  /** download only; null when unknown */
  etaSeconds: z.number().nullable().optional(),
});
export type DatasetProgress = z.infer<typeof datasetProgressSchema>;
