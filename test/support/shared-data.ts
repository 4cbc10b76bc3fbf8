import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The shared real-data folder (../shared/data beside the project root). */
export const SHARED_DATA = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/data');
export const CIFAR10_DIR = path.join(SHARED_DATA, 'cifar-10-batches-bin');
export const CIFAR100_DIR = path.join(SHARED_DATA, 'cifar-100-binary');
