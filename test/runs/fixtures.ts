import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initBackend } from '../../src/engine/backend/index.js';
import { trainSimclr } from '../../src/engine/train/index.js';
import type { TrainConfigInput } from '../../src/shared/train-config.js';
import { CIFAR10_DIR } from '../support/shared-data.js';

/** A fresh data root holding real runs made by the trainer: tiny model, 64 images. */
export async function makeRuns(configs: Partial<TrainConfigInput>[]): Promise<{ dataRoot: string; ids: string[] }> {
  await initBackend();
  const dataRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'simclr-runs-'));
  const ids: string[] = [];
  for (const [i, over] of configs.entries()) {
    const result = await trainSimclr({
      config: {
        dataset: CIFAR10_DIR,
        trainLimit: 64,
        batchSize: 32,
        epochs: 1,
        seed: i + 1,
        optimizer: { warmupEpochs: 0 },
        knn: { every: 1, k: 10, testLimit: 64 },
        outDir: path.join(dataRoot, 'runs'),
        runName: `run-${i}`,
        ...over,
      },
    });
    ids.push(path.basename(result.runDir));
  }
  return { dataRoot, ids };
}
