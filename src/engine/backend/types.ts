export const BACKEND_NAMES = ['tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];
export type BackendPreference = BackendName | 'auto';

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
