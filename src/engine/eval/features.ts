import * as tf from '@tensorflow/tfjs';
import { evalBatch } from '../augment/index.js';
import type { ImageSet } from '../data/types.js';
import type { Model } from '../models/index.js';
import type { Pipeline } from '../../shared/pipeline.js';
import { extractFeatures } from './knn.js';

export interface EncoderFeatureOptions {
  batchSize?: number;
  /**
   * Side the images are fed at (default: the pipeline's outputSize, the size
   * the encoder was trained at). Images of another size, e.g. a dataset
   * transferred to, are resized to it by the eval transform.
   */
  inputSize?: number;
  signal?: AbortSignal;
  /** images done so far, after each batch */
  onProgress?: (done: number, total: number) => void;
}

/** The run's pipeline with another output size (the eval transform resizes to it). */
export function pipelineAt(pipeline: Pipeline, inputSize: number | undefined): Pipeline {
  return inputSize === undefined || inputSize === pipeline.outputSize ? pipeline : { ...pipeline, outputSize: inputSize };
}

/**
 * Representations h of the frozen encoder for every image of the set, in set
 * order: [count, featureDim]. Images get the run's eval transform (resize to
 * the input size, the pipeline's normalisation, no augmentation); the encoder
 * runs in inference mode (batch-norm running statistics, nothing updated) and
 * outside any gradient tape. The caller disposes the result.
 */
export async function encoderFeatures(model: Model, set: ImageSet, pipeline: Pipeline, opts: EncoderFeatureOptions = {}): Promise<tf.Tensor2D> {
  const p = pipelineAt(pipeline, opts.inputSize);
  let done = 0;
  return extractFeatures(
    (x) => {
      const h = model.encode(x, false);
      done += x.shape[0];
      opts.onProgress?.(done, set.count);
      return h;
    },
    set,
    { batchSize: opts.batchSize ?? 256, input: (s, idx) => evalBatch(s, idx, p), signal: opts.signal },
  );
}
