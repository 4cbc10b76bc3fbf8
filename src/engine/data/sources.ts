import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BuiltinDatasetId } from '../../shared/dataset.js';

/**
 * Where builtin datasets come from: the official URLs and their published MD5
 * checksums (from the dataset authors' pages), and what is inside.
 */
export interface SourceFile {
  /** file name in the downloads folder and at the end of the URL */
  name: string;
  url: string;
  md5: string;
}

export interface DatasetSource {
  id: BuiltinDatasetId;
  name: string;
  format: 'cifar10' | 'cifar100' | 'idx';
  /** download folder under <data-root>/downloads/ (CIFAR-100 fine and coarse share one) */
  folder: string;
  files: SourceFile[];
  /** archives: the members a complete archive has (paths inside it) */
  members?: string[];
  labels?: 'fine' | 'coarse';
  homepage: string;
}

const KRIZ = 'https://www.cs.toronto.edu/~kriz';
const FASHION = 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com';

const cifar100 = (labels: 'fine' | 'coarse'): DatasetSource => ({
  id: labels === 'fine' ? 'cifar100' : 'cifar100-coarse',
  name: labels === 'fine' ? 'CIFAR-100' : 'CIFAR-100 (coarse)',
  format: 'cifar100',
  folder: 'cifar100',
  files: [{ name: 'cifar-100-binary.tar.gz', url: `${KRIZ}/cifar-100-binary.tar.gz`, md5: '03b5dce01913d631647c71ecec9e9cb8' }],
  members: ['cifar-100-binary/train.bin', 'cifar-100-binary/test.bin', 'cifar-100-binary/fine_label_names.txt', 'cifar-100-binary/coarse_label_names.txt'],
  labels,
  homepage: 'https://www.cs.toronto.edu/~kriz/cifar.html',
});

export const SOURCES: Record<BuiltinDatasetId, DatasetSource> = {
  cifar10: {
    id: 'cifar10',
    name: 'CIFAR-10',
    format: 'cifar10',
    folder: 'cifar10',
    files: [{ name: 'cifar-10-binary.tar.gz', url: `${KRIZ}/cifar-10-binary.tar.gz`, md5: 'c32a1d4ab5d03f1284b67883e8d87530' }],
    members: [
      'cifar-10-batches-bin/batches.meta.txt',
      ...[1, 2, 3, 4, 5].map((i) => `cifar-10-batches-bin/data_batch_${i}.bin`),
      'cifar-10-batches-bin/test_batch.bin',
    ],
    homepage: 'https://www.cs.toronto.edu/~kriz/cifar.html',
  },
  cifar100: cifar100('fine'),
  'cifar100-coarse': cifar100('coarse'),
  'fashion-mnist': {
    id: 'fashion-mnist',
    name: 'Fashion-MNIST',
    format: 'idx',
    folder: 'fashion-mnist',
    files: [
      { name: 'train-images-idx3-ubyte.gz', url: `${FASHION}/train-images-idx3-ubyte.gz`, md5: '8d4fb7e6c68d591d4c3dfef9ec88bf0d' },
      { name: 'train-labels-idx1-ubyte.gz', url: `${FASHION}/train-labels-idx1-ubyte.gz`, md5: '25c81989df183df01b3e8a0aad5dffbe' },
      { name: 't10k-images-idx3-ubyte.gz', url: `${FASHION}/t10k-images-idx3-ubyte.gz`, md5: 'bef4ecab320f06d8554ea6380940ec79' },
      { name: 't10k-labels-idx1-ubyte.gz', url: `${FASHION}/t10k-labels-idx1-ubyte.gz`, md5: 'bb300cfdad3c16e7a12a480ee83cd310' },
    ],
    homepage: 'https://github.com/zalandoresearch/fashion-mnist',
  },
};

export { defaultDataRoot } from '../fs/data-root.js';

export function expandHome(p: string): string {
  return p === '~' ? os.homedir() : p.startsWith('~/') ? path.join(os.homedir(), p.slice(2)) : p;
}

/**
 * The shared real-data folder: $SIMCLR_SHARED_DATA, else `../shared/data`
 * beside the project root (found by walking up from this module, then from the
 * working directory, to a folder holding package.json). Undefined when absent.
 */
export function sharedDataDir(): string | undefined {
  if (process.env.SIMCLR_SHARED_DATA) return process.env.SIMCLR_SHARED_DATA;
  const starts = [path.dirname(fileURLToPath(import.meta.url)), process.cwd()];
  for (const start of starts) {
    for (let d = start; ; d = path.dirname(d)) {
      if (fs.existsSync(path.join(d, 'package.json'))) {
        const shared = path.resolve(d, '..', 'shared', 'data');
        if (fs.existsSync(shared)) return shared;
      }
      if (path.dirname(d) === d) break;
    }
  }
  return undefined;
}

/** The shared CIFAR folders (subsets in the official binary format), when present. */
export function sharedDatasetPath(which: 'cifar10' | 'cifar100'): string | undefined {
  const root = sharedDataDir();
  if (!root) return undefined;
  const p = path.join(root, which === 'cifar10' ? 'cifar-10-batches-bin' : 'cifar-100-binary');
  return fs.existsSync(p) ? p : undefined;
}
