import type { BackendInfoDto } from '../../shared/api.js';
import { BACKEND_NAMES, type BackendName, type BackendPreference } from '../../shared/backend.js';

export { BACKEND_NAMES, type BackendName, type BackendPreference };

/** One backend the chooser tried, and why it was or was not taken. */
export interface BackendAttempt {
  name: BackendName;
  /** npm package that provided it, e.g. @tensorflow/tfjs-node-gpu */
  source: string;
  ok: boolean;
  detail: string;
}

export interface BackendInfo {
  name: BackendName;
  /** tfjs-core version */
  tfjsVersion: string;
  /** package that provides the kernels */
  source: string;
  /** 'CPU: <model>' or 'GPU: <name>' */
  device: string;
  gpu: boolean;
  threads: number;
  /** why this backend was chosen, in words */
  reason: string;
  attempts: BackendAttempt[];
}

// BackendInfo crosses the API as BackendInfoSchema: the two must stay the same shape.
const _infoMatches: [BackendInfo] extends [BackendInfoDto] ? ([BackendInfoDto] extends [BackendInfo] ? true : false) : false = true;
void _infoMatches;
