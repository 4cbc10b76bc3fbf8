import { z } from 'zod';
import { DEFAULT_WEIGHT_DECAY } from '../../shared/train-config.js';
import { issuePath, ValidationError } from '../../shared/validation.js';

/** Optimiser settings; defaults follow google-research/simclr (LARS) and PyTorch (SGD, AdamW). */

export const LarsConfigSchema = z
  .object({
    kind: z.literal('lars'),
    momentum: z.number().min(0).max(1).default(0.9),
    /** added to the gradient (kernels only) before the trust ratio; SimCLR's value by default */
    weightDecay: z.number().min(0).default(DEFAULT_WEIGHT_DECAY.lars),
    /** trust coefficient: trust ratio = eeta * ||w|| / ||g + wd * w|| */
    eeta: z.number().positive().default(0.001),
    nesterov: z.boolean().default(false),
  })
  .strict();

export const SgdConfigSchema = z
  .object({
    kind: z.literal('sgd'),
    momentum: z.number().min(0).max(1).default(0.9),
    nesterov: z.boolean().default(false),
    /** L2 added to the gradient; a bare SGD has none (a training config's sgd gets DEFAULT_WEIGHT_DECAY.sgd) */
    weightDecay: z.number().min(0).default(0),
    /** no weight decay on batch-norm parameters and biases */
    excludeBnAndBias: z.boolean().default(true),
  })
  .strict();

export const AdamWConfigSchema = z
  .object({
    kind: z.literal('adamw'),
    beta1: z.number().min(0).lt(1).default(0.9),
    beta2: z.number().min(0).lt(1).default(0.999),
    epsilon: z.number().positive().default(1e-8),
    /** decoupled: w <- w - lr * weightDecay * w, before the Adam step */
    weightDecay: z.number().min(0).default(DEFAULT_WEIGHT_DECAY.adamw),
    excludeBnAndBias: z.boolean().default(true),
  })
  .strict();

export const OptimizerConfigSchema = z.discriminatedUnion('kind', [LarsConfigSchema, SgdConfigSchema, AdamWConfigSchema]);

export type LarsConfig = z.infer<typeof LarsConfigSchema>;
export type SgdConfig = z.infer<typeof SgdConfigSchema>;
export type AdamWConfig = z.infer<typeof AdamWConfigSchema>;
export type OptimizerConfig = z.infer<typeof OptimizerConfigSchema>;
export type OptimizerConfigInput = z.input<typeof OptimizerConfigSchema>;
export type OptimizerKind = OptimizerConfig['kind'];

export function parseOptimizerConfig(input: unknown, where = 'optimizer'): OptimizerConfig {
  const r = OptimizerConfigSchema.safeParse(input);
  if (r.success) return r.data;
  throw new ValidationError(
    r.error.issues.map((i) => ({ path: issuePath([where, ...i.path], where), message: i.path[0] === 'kind' ? `${i.message} (kind is one of lars, sgd, adamw)` : i.message })),
    'optimizer config',
  );
}
