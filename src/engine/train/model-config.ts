import { resolveModelConfig, stemForImageSize, type ModelConfig, type ModelConfigInput } from '../../shared/model-config.js';
import type { TrainConfig } from '../../shared/train-config.js';

/**
 * The model a training config asks for: the preset, then the config's depth,
 * width and projection sizes over it; the stem suits the pipeline's output
 * size. Views always have 3 channels (the pipeline replicates grey images).
 * The head's output batch norm and the zero-initialised residual branches come
 * from the config too; a config read from an older run.json lacks those fields and
 * must have gone through parseRunRecord, which sets them to the values that run
 * used (false; see withLegacyModelSection in src/shared/train-config.ts).
 */
export function modelConfigOf(cfg: TrainConfig, outputSize: number): ModelConfig {
  const overrides: Partial<ModelConfigInput> = {
    stem: stemForImageSize(outputSize),
    inputChannels: 3,
    projection: {
      outDim: cfg.model.projectionDim,
      ...(cfg.model.projectionHiddenDim ? { hiddenDim: cfg.model.projectionHiddenDim } : {}),
      outputBatchNorm: cfg.model.projectionOutputBatchNorm,
    },
    zeroInitResidual: cfg.model.zeroInitResidual,
    padding: cfg.model.padding,
  };
  if (cfg.model.depth !== undefined) overrides.arch = `resnet${cfg.model.depth}`;
  if (cfg.model.width !== undefined) overrides.width = cfg.model.width;
  return resolveModelConfig(cfg.model.preset, overrides);
}

/** "tiny (ResNet-18 x0.25)" */
export function modelLabel(cfg: TrainConfig, m: ModelConfig): string {
  return `${cfg.model.preset} (ResNet-${m.arch.replace('resnet', '')} x${m.width})`;
}
