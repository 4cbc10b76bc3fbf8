import type { FinetuneRecipeName, LinearProtocolName } from '../../shared/eval.js';

/**
 * Hyperparameters of the protocols that train through a classifier head, by
 * name, so a report can say which recipe produced a number. Every optimiser
 * here is SGD with Nesterov momentum, a linear warmup (possibly of length 0)
 * then cosine decay per step, and a peak learning rate of baseLr x batch/256.
 */
export interface TrainRecipe {
  name: string;
  /** one line for reports and --help */
  description: string;
  batchSize: number;
  /** learning rate for a batch of 256; the peak is baseLr x batch/256 */
  baseLr: number;
  momentum: number;
  weightDecay: number;
  warmupEpochs: number;
  /** randomResizedCrop area range of the crop + flip augmentation */
  cropScale: [number, number];
  /** training epochs for a labelled set of `labelled` images that is `fraction` of the training split */
  epochs(fraction: number, labelled: number): number;
}

/**
 * SimCLR Appendix B.5 epochs: 60 for 1% of ImageNet's labels, 30 for 10%.
 * Between the two log-linear; below 1% 60 and above 10% 30 (the paper states
 * no other fraction; we do not extrapolate). An epoch is a pass over the
 * labelled images, so this already follows the labelled set's size; on a small
 * dataset one epoch is only a few steps, so the epochs are raised until the run
 * takes at least MIN_B5_STEPS optimiser steps. For scale: ImageNet 1% (12.8k
 * images) at the paper's batch 4096 is 4 steps per epoch, 240 steps in all;
 * CIFAR-10 1% (500 images) at batch 256 is 2 steps per epoch, 120 steps.
 */
export const MIN_B5_STEPS = 100;

/**
 * Optimiser steps per epoch over `count` images: full batches, plus a last
 * partial batch when it holds at least 2 images (batch norm in training mode
 * needs two); the batch is capped at the set size.
 */
export function stepsPerEpoch(count: number, batchSize: number): number {
  const size = Math.min(batchSize, count);
  return Math.floor(count / size) + (count % size >= 2 ? 1 : 0);
}

export function paperB5Epochs(fraction: number, labelled: number, batchSize: number): number {
  const lo = Math.log(0.01);
  const hi = Math.log(0.1);
  const t = Math.min(1, Math.max(0, (Math.log(fraction) - lo) / (hi - lo)));
  const paper = Math.round(60 * (1 - t) + 30 * t);
  return Math.max(paper, Math.ceil(MIN_B5_STEPS / Math.max(1, stepsPerEpoch(labelled, batchSize))));
}

const PAPER_B5_BATCH = 256;

export const FINETUNE_RECIPE_TABLE: Record<FinetuneRecipeName, TrainRecipe> = {
  cifar: {
    name: 'cifar',
    description: "this workbench's CIFAR defaults: Nesterov SGD 0.9, lr 0.1 x batch/256, wd 5e-4, crop area [0.5, 1] + flip, 10 epochs",
    batchSize: 64,
    baseLr: 0.1,
    momentum: 0.9,
    weightDecay: 5e-4,
    warmupEpochs: 0,
    cropScale: [0.5, 1],
    epochs: () => 10,
  },
  'paper-b5': {
    name: 'paper-b5',
    description: 'SimCLR Appendix B.5: Nesterov SGD 0.9, lr 0.05 x batch/256, no warmup, no weight decay, random crop (area [0.08, 1]) + flip, 60 epochs at 1% labels / 30 at 10%',
    batchSize: PAPER_B5_BATCH,
    baseLr: 0.05,
    momentum: 0.9,
    weightDecay: 0,
    warmupEpochs: 0,
    cropScale: [0.08, 1],
    epochs: (fraction, labelled) => paperB5Epochs(fraction, labelled, PAPER_B5_BATCH),
  },
};

/** Supervised from scratch uses the fine-tuning recipe with a higher base rate under the cifar recipe (a random encoder needs larger steps). */
export function supervisedRecipe(name: FinetuneRecipeName): TrainRecipe {
  const r = FINETUNE_RECIPE_TABLE[name];
  return name === 'cifar' ? { ...r, baseLr: 0.2 } : r;
}

/**
 * SimCLR Appendix B.6 linear evaluation: "similar procedure as fine-tuning
 * (B.5), except a larger learning rate of 0.1 x batch/256 and 90 epochs", the
 * encoder frozen (inference-mode batch norm) and only the classifier trained.
 */
export const LINEAR_B6_RECIPE: TrainRecipe = {
  name: 'paper-b6',
  description: 'SimCLR Appendix B.6: frozen encoder, Nesterov SGD 0.9 on the classifier, lr 0.1 x batch/256, no weight decay, random crop (area [0.08, 1]) + flip, 90 epochs',
  batchSize: 256,
  baseLr: 0.1,
  momentum: 0.9,
  weightDecay: 0,
  warmupEpochs: 0,
  cropScale: [0.08, 1],
  epochs: () => 90,
};

export const LINEAR_PROTOCOL_DESCRIPTIONS: Record<LinearProtocolName, string> = {
  lbfgs: 'frozen features, L2 logistic regression by L-BFGS, L2 chosen on a 20% validation split',
  'paper-b6': LINEAR_B6_RECIPE.description,
};
