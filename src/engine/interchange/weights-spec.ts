/**
 * The JSON that travels with exported weights: beside the file as
 * <name>.json (the sidecar) and, the same text, in the safetensors header's
 * __metadata__ under WEIGHTS_METADATA_KEY, so a lone .safetensors still says
 * what it holds. The Lightning project's export writes the same shape.
 */
import { z } from 'zod';
import { ModelConfigSchema } from '../../shared/model-config.js';

export const WEIGHTS_FORMAT = 'simclr-workbench-weights';
export const WEIGHTS_VERSION = 1;
export const WEIGHTS_METADATA_KEY = 'simclr_workbench';
/** torchvision's ResNet names (conv1, bn1, layerS.I.*, downsample.0/1), OIHW convs */
export const WEIGHTS_LAYOUT = 'torchvision-resnet';

const triple = z.tuple([z.number(), z.number(), z.number()]);

export const weightsSpecSchema = z
  .object({
    format: z.literal(WEIGHTS_FORMAT),
    version: z.literal(WEIGHTS_VERSION),
    layout: z.literal(WEIGHTS_LAYOUT),
    /** the run the weights came from (null for weights trained elsewhere) */
    runId: z.string().nullable().default(null),
    runName: z.string().nullable().default(null),
    /** the full model config: arch (depth), width, stem, projection head, BN settings */
    model: ModelConfigSchema,
    /** whether projector.* tensors are in the file */
    projection: z.boolean(),
    /** side of the square images the encoder was trained on */
    inputSize: z.number().int().positive(),
    /** per-channel (x - mean) / std applied to values in [0, 1] before the encoder */
    normalize: z.object({ mean: triple, std: triple }),
    /** the training data (informative; import opens --dataset or this path) */
    dataset: z.object({ id: z.string(), name: z.string(), path: z.string() }).nullable().default(null),
    checkpoint: z.object({ epoch: z.number().int().min(0), globalStep: z.number().int().min(0) }).nullable().default(null),
    /** the training config and augmentation pipeline as recorded (so an imported run compares like a local one) */
    config: z.record(z.string(), z.unknown()).nullable().default(null),
    pipeline: z.record(z.string(), z.unknown()).nullable().default(null),
  })
  .loose();

export type WeightsSpec = z.infer<typeof weightsSpecSchema>;
export type WeightsSpecInput = z.input<typeof weightsSpecSchema>;

export function parseWeightsSpec(raw: unknown, where: string): WeightsSpec {
  const r = weightsSpecSchema.safeParse(raw);
  if (r.success) return r.data;
  const lines = r.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
  throw new Error(`${where}: not a valid weights spec:\n  ${lines.join('\n  ')}`);
}

/** FILE.safetensors -> FILE.json */
export function sidecarPath(file: string): string {
  return file.replace(/\.safetensors$/i, '') + '.json';
}
