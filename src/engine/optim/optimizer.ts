import * as tf from '@tensorflow/tfjs';
import { parseOptimizerConfig, type AdamWConfig, type LarsConfig, type OptimizerConfig, type OptimizerConfigInput, type SgdConfig } from './config.js';

/** What an optimiser needs to know about a parameter (a models Param satisfies it). */
export interface OptimizerParam {
  /** stable name; slots are exported as <slot>/<name> */
  name: string;
  variable: tf.Variable;
  /** batch-norm gamma/beta or a bias: no weight decay (all optimisers, by default) and no LARS adaptation */
  bnOrBias: boolean;
}

export interface Optimizer {
  readonly config: OptimizerConfig;
  /** updates applied so far */
  readonly steps: number;
  /**
   * One update of every param that has a gradient, at learning rate `lr`.
   * `grads` is keyed by tf.Variable name (what tf.variableGrads returns) or by param name.
   * The caller keeps ownership of `grads` (dispose them afterwards).
   */
  apply(grads: tf.NamedTensorMap, lr: number): void;
  /** slots as named tensors (<slot>/<param name>, plus "steps" int32 scalar); clones the caller disposes */
  getState(): Record<string, tf.Tensor>;
  /** restore what getState returned; checks names and shapes first */
  setState(state: Record<string, tf.Tensor>): void;
  dispose(): void;
}

type Rule = (w: tf.Tensor, g: tf.Tensor, slots: tf.Tensor[], p: OptimizerParam, lr: number, t: number, trust: number) => { w: tf.Tensor; slots: tf.Tensor[] };

/** Sum of squares, reduced one axis at a time (some backends sum sequentially in float32). */
function squaredNorm(x: tf.Tensor): tf.Tensor {
  let s = tf.square(x);
  while (s.rank > 1) s = tf.sum(s, s.rank - 1);
  return tf.sum(s);
}

/**
 * LARS, classic momentum (as google-research/simclr tf2/lars_optimizer.py with classic_momentum=True).
 * Prepared for all parameters at once: g' = g + wd * w for kernels, and the squared norms of every
 * w and g' go to the host in one read; the trust ratio is then plain float64 arithmetic instead of
 * ~10 tiny tensor ops (comparisons, where, divisions on scalars) per parameter.
 */
function larsPrepare(c: LarsConfig, items: { p: OptimizerParam; g: tf.Tensor }[]): { g: tf.Tensor; trust: number }[] {
  const decayed = items.map(({ p, g }) => (!p.bnOrBias && c.weightDecay > 0 ? tf.tidy(() => tf.add(g, tf.mul(p.variable, c.weightDecay))) : g));
  const adapted = items.map((_, i) => i).filter((i) => !items[i]!.p.bnOrBias);
  const sq = adapted.length ? tf.tidy(() => tf.stack(adapted.flatMap((i) => [squaredNorm(items[i]!.p.variable), squaredNorm(decayed[i]!)])).dataSync()) : new Float32Array(0);
  const trust = items.map(() => 1);
  adapted.forEach((i, k) => {
    const wNorm = Math.sqrt(sq[2 * k]!);
    const gNorm = Math.sqrt(sq[2 * k + 1]!);
    if (wNorm > 0 && gNorm > 0) trust[i] = (c.eeta * wNorm) / gNorm;
  });
  return items.map((_, i) => ({ g: decayed[i]!, trust: trust[i]! }));
}

/** `g` is already g + wd * w (larsPrepare). */
function larsRule(c: LarsConfig): Rule {
  return (w, g, [v], _p, lr, _t, trust) => {
    const step = tf.mul(g, lr * trust);
    const nextV = tf.add(tf.mul(v!, c.momentum), step);
    const update = c.nesterov ? tf.add(tf.mul(nextV, c.momentum), step) : nextV;
    return { w: tf.sub(w, update), slots: [nextV] };
  };
}

/** SGD with momentum (PyTorch semantics: v = m v + g; update = v, or g + m v with Nesterov). */
function sgdRule(c: SgdConfig): Rule {
  return (w, grad, [v], p, lr) => {
    let g = grad;
    if (c.weightDecay > 0 && !(c.excludeBnAndBias && p.bnOrBias)) g = tf.add(g, tf.mul(w, c.weightDecay));
    if (c.momentum === 0) return { w: tf.sub(w, tf.mul(g, lr)), slots: [v!] };
    const nextV = tf.add(tf.mul(v!, c.momentum), g);
    const update = c.nesterov ? tf.add(g, tf.mul(nextV, c.momentum)) : nextV;
    return { w: tf.sub(w, tf.mul(update, lr)), slots: [nextV] };
  };
}

/** AdamW (Loshchilov & Hutter; PyTorch semantics: decoupled decay, bias-corrected moments). */
function adamwRule(c: AdamWConfig): Rule {
  return (w, g, [m, v], p, lr, t) => {
    let wd = w;
    if (c.weightDecay > 0 && !(c.excludeBnAndBias && p.bnOrBias)) wd = tf.mul(w, 1 - lr * c.weightDecay);
    const nextM = tf.add(tf.mul(m!, c.beta1), tf.mul(g, 1 - c.beta1));
    const nextV = tf.add(tf.mul(v!, c.beta2), tf.mul(tf.square(g), 1 - c.beta2));
    const bc1 = 1 - c.beta1 ** t;
    const bc2 = 1 - c.beta2 ** t;
    // lr * mhat / (sqrt(vhat) + eps) with mhat = m / bc1, vhat = v / bc2
    const denom = tf.add(tf.div(tf.sqrt(nextV), Math.sqrt(bc2)), c.epsilon);
    return { w: tf.sub(wd, tf.mul(tf.div(nextM, denom), lr / bc1)), slots: [nextM, nextV] };
  };
}

const SLOTS: Record<OptimizerConfig['kind'], string[]> = { lars: ['momentum'], sgd: ['momentum'], adamw: ['adam_m', 'adam_v'] };

export function createOptimizer(configInput: OptimizerConfigInput | OptimizerConfig, params: readonly OptimizerParam[]): Optimizer {
  const config = parseOptimizerConfig(configInput);
  const rule = config.kind === 'lars' ? larsRule(config) : config.kind === 'sgd' ? sgdRule(config) : adamwRule(config);
  const slotNames = SLOTS[config.kind];
  const seen = new Set<string>();
  for (const p of params) {
    if (seen.has(p.name)) throw new Error(`optimizer: parameter ${p.name} is listed twice`);
    seen.add(p.name);
  }
  let slots = new Map<string, tf.Tensor[]>(params.map((p) => [p.name, slotNames.map(() => tf.zerosLike(p.variable))]));
  let steps = 0;
  let disposed = false;
  const live = () => {
    if (disposed) throw new Error('optimizer used after dispose()');
  };

  return {
    config,
    get steps() {
      return steps;
    },
    apply(grads, lr) {
      live();
      if (!Number.isFinite(lr) || lr < 0) throw new Error(`learning rate must be a finite number >= 0, got ${lr}`);
      const t = steps + 1;
      const items: { p: OptimizerParam; g: tf.Tensor }[] = [];
      for (const p of params) {
        const g = grads[p.variable.name] ?? grads[p.name];
        if (!g) continue;
        if (!tf.util.arraysEqual(g.shape, p.variable.shape)) {
          throw new Error(`optimizer: gradient of ${p.name} has shape [${g.shape.join(', ')}], the parameter [${p.variable.shape.join(', ')}]`);
        }
        items.push({ p, g });
      }
      const prepared = config.kind === 'lars' ? larsPrepare(config, items) : items.map(({ g }) => ({ g, trust: 1 }));
      items.forEach(({ p, g }, i) => {
        const old = slots.get(p.name)!;
        const { g: grad, trust } = prepared[i]!;
        const next = tf.tidy(() => rule(p.variable, grad, old, p, lr, t, trust));
        if (grad !== g) grad.dispose();
        p.variable.assign(next.w);
        next.w.dispose();
        for (const s of old) if (!next.slots.includes(s)) s.dispose();
        slots.set(p.name, next.slots);
      });
      steps = t;
    },
    getState() {
      live();
      const out: Record<string, tf.Tensor> = { steps: tf.scalar(steps, 'int32') };
      for (const p of params) slots.get(p.name)!.forEach((s, i) => (out[`${slotNames[i]}/${p.name}`] = tf.clone(s)));
      return out;
    },
    setState(state) {
      live();
      const problems: string[] = [];
      const expected = new Set<string>(['steps']);
      for (const p of params) {
        for (const s of slotNames) {
          const key = `${s}/${p.name}`;
          expected.add(key);
          const t = state[key];
          if (!t) problems.push(`missing ${key}`);
          else if (!tf.util.arraysEqual(t.shape, p.variable.shape)) problems.push(`${key} has shape [${t.shape.join(', ')}], expected [${p.variable.shape.join(', ')}]`);
        }
      }
      for (const key of Object.keys(state)) if (!expected.has(key)) problems.push(`unknown ${key}`);
      const st = state.steps;
      if (!st || st.size !== 1) problems.push('missing "steps" (a scalar)');
      if (problems.length) {
        throw new Error(`optimizer setState (${config.kind}): ${problems.slice(0, 6).join('; ')}${problems.length > 6 ? '; ...' : ''} (was the state written by the same optimizer and model?)`);
      }
      const next = new Map<string, tf.Tensor[]>();
      for (const p of params) next.set(p.name, slotNames.map((s) => tf.tidy(() => tf.cast(state[`${s}/${p.name}`]!, 'float32').clone())));
      for (const list of slots.values()) tf.dispose(list);
      slots = next;
      steps = st!.dataSync()[0]!;
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const list of slots.values()) tf.dispose(list);
      slots.clear();
    },
  };
}
