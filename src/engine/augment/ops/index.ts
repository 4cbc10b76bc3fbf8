/** Every op by name: the table the pipeline runner dispatches on. */
import type { OpName } from '../../../shared/pipeline.js';
import type { OpDef } from '../op.js';
import { gaussianBlur } from './blur.js';
import { colorJitter } from './color-jitter.js';
import { centerCrop, randomResizedCrop } from './crop.js';
import { cutout } from './cutout.js';
import { horizontalFlip } from './flip.js';
import { grayscale } from './grayscale.js';
import { gaussianNoise } from './noise.js';
import { rotate, rotate90 } from './rotate.js';
import { sobel } from './sobel.js';
import { solarize } from './solarize.js';

export const OPS: { [N in OpName]: OpDef<N, object> } = {
  randomResizedCrop,
  centerCrop,
  horizontalFlip,
  colorJitter,
  grayscale,
  gaussianBlur,
  rotate90,
  rotate,
  cutout,
  gaussianNoise,
  sobel,
  solarize,
};
