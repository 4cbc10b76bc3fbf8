/**
 * Datasets: the one entry point the rest of the app uses.
 *
 * Naming a dataset (src/shared/dataset.ts, `DatasetRef`, or its text form):
 *   "cifar10" | "cifar100" | "cifar100-coarse" | "fashion-mnist"   builtin: opened from the cache,
 *        else imported from <data-root>/downloads/ (after `downloadDataset`), else an error saying how
 *   "<id>"                                                          a dataset already in the cache
 *   "/path/to/folder" | "./x.tar.gz" | { kind: 'path', path, ... }  CIFAR-10/100 binary folder, MNIST-style
 *        IDX folder (raw or .gz), image folder (class subfolders, optional train/test/val level, or a flat
 *        unlabeled folder), or a .tar.gz/.tgz/.tar holding any of these. Format detected from file names.
 *
 * Opening:
 *   openDataset(ref, { dataRoot?, cache?, refresh?, val?: { fraction, seed }, signal?, onProgress? })
 *       -> Promise<Dataset>   (uint8 NHWC ImageSets; `checksum`, `source`, `stats` filled in)
 *     Reads `<data-root>/datasets/<id>/dataset.bin` in one go when it is present and (for paths) the
 *     source has not changed since; otherwise imports and writes it. `cache: false` reads the source and
 *     writes nothing (tests that must not touch a data root). `val` carves a stratified validation split
 *     out of train, the same for the same seed. dataRoot defaults to defaultDataRoot().
 *   importDataset(ref, opts) -> Promise<{ dataset, report: ImportReport }>   always reads the source
 *   downloadDataset(id, { dataRoot, baseUrl?, onProgress, signal }) -> download (resume, MD5) + import
 *   listDatasets(dataRoot?, onProblem?) -> Promise<DatasetListEntry[]>      header reads only
 *   verifyDataset(idOrPathOrFile, { dataRoot }) -> { ok, checks[] }        cache integrity, published MD5s
 *   datasetIdFor(ref) -> the cache id a ref opens
 *   sharedDatasetPath('cifar10' | 'cifar100') -> the shared real CIFAR subsets (../shared/data), if present
 *
 * Browsing (the server wires these to HTTP/IPC; requests/responses are the shared schemas):
 *   datasetSummary(ds), labelNames(ds), thumbnailPage(ds, { split, classIndex?, offset, limit, size? }),
 *   imageAt(ds, { split, index, size? }), encodePng(set, index, size?) -> PNG bytes;
 *   handleThumbnailPage(req) / handleImage(req) / handleSummary(ref): validate, open (kept open), answer.
 *   PNGs are base64 in JSON; grayscale stays grayscale; enlarging is nearest-neighbour.
 *
 * Pieces, for callers that need them: readCifar10/readCifar100 (cifar.ts), readIdxFolder/readIdxFile
 * (idx.ts), readImageFolder (folder.ts), computeStats/splitTrainVal/contentChecksum (stats.ts),
 * readCache/writeCache (cache.ts, file layout documented there), downloadFile (download.ts).
 *
 * Errors from bad input name the file and say what is wrong; no failed import damages a cache.
 */
export * from './types.js';
export { readCifar10, readCifar100, decodeCifarRecords, cifar10Files, cifar100Files } from './cifar.js';
export { readIdxFolder, readIdxFile, readIdxPair, parseIdx, FASHION_MNIST_CLASSES, MNIST_CLASSES } from './idx.js';
export { readImageFolder, decodeImageFile, scanImageFolder, IMAGE_EXTENSIONS, type FolderReadOptions } from './folder.js';
export { computeStats, splitTrainVal, contentChecksum, type ValSplitOptions } from './stats.js';
export { readCache, readCacheHeader, writeCache, cacheFile, cacheDir, type CacheHeader } from './cache.js';
export { downloadFile, type DownloadOptions, type DownloadResult } from './download.js';
export { listArchive, archiveLayout, isArchivePath } from './archive.js';
export { SOURCES, defaultDataRoot, sharedDataDir, sharedDatasetPath, type DatasetSource } from './sources.js';
export {
  openDataset,
  importDataset,
  downloadDataset,
  listDatasets,
  verifyDataset,
  datasetIdFor,
  detectFormat,
  type OpenOptions,
  type DataOptions,
  type ImportResult,
  type VerifyCheck,
} from './open.js';
export { datasetSummary, labelNames, labelName, thumbnailPage, imageAt, encodePng, filterIndices, handleThumbnailPage, handleImage, handleSummary, openForBrowsing, closeBrowsing } from './browse.js';
