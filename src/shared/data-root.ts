/**
 * The data root (datasets/, runs/, trash/, settings.json) when neither a flag
 * nor a setting names one. Named here once; src/engine/fs/data-root.ts holds
 * the rule (env, then the legacy folder, then the OS's data folder), help texts
 * and the UI print DATA_ROOT_DEFAULT_TEXT.
 */
export const DATA_ROOT_ENV = 'SIMCLR_DATA_ROOT';
/** the folder under the home directory that earlier versions used (still used in place when it exists) */
export const DATA_ROOT_DIR = '.simclr-workbench';
/** the app's folder name inside the OS's data folder (env-paths' name, no suffix) */
export const DATA_ROOT_NAME = 'simclr-workbench';
export const DATA_ROOT_DEFAULT_TEXT = `$${DATA_ROOT_ENV}, else ~/${DATA_ROOT_DIR} if it exists, else the OS data folder (Linux: ~/.local/share/${DATA_ROOT_NAME})`;
