/**
 * The data root (datasets/, runs/, trash/, settings.json) when neither a flag
 * nor a setting names one: $SIMCLR_DATA_ROOT, else ~/.simclr-workbench. Named
 * here once; src/engine/fs/data-root.ts resolves it, help texts and the UI
 * print DATA_ROOT_DEFAULT_TEXT.
 */
export const DATA_ROOT_ENV = 'SIMCLR_DATA_ROOT';
/** the folder under the home directory */
export const DATA_ROOT_DIR = '.simclr-workbench';
export const DATA_ROOT_DEFAULT_TEXT = `$${DATA_ROOT_ENV}, else ~/${DATA_ROOT_DIR}`;
