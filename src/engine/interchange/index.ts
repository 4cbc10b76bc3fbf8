/**
 * Weights and recipes in and out: safetensors with torchvision names
 * (export-weights, import-weights), the PyTorch Lightning project
 * (export-recipe) and its results coming back (import-lightning).
 */
export { exportWeights, type ExportWeightsOptions, type ExportWeightsResult } from './export-weights.js';
export { importWeights, type ImportWeightsOptions, type ImportWeightsResult } from './import-weights.js';
export { decodeSafetensors, encodeSafetensors, readSafetensors, type ReadTensor, type SafetensorsFile } from './safetensors.js';
export { torchMapping, torchName, stripPrefixes } from './torch-names.js';
export { parseWeightsSpec, sidecarPath, type WeightsSpec } from './weights-spec.js';
export { exportRecipe, templateDir, type RecipeResult, type RecipeSource } from './export-recipe.js';
export { importLightning, lightningMetrics, parseCsv, type ImportLightningResult } from './import-lightning.js';
