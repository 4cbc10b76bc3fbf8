/**
 * A view plan: every random choice of one view of a batch, drawn in JS from
 * the pipeline's stream before any tensor work, then run as batched ops.
 *
 * Stream layout (what makes a preview and a training batch identical): for
 * each sample in batch order, for each enabled op in pipeline order, one
 * uniform draw decides whether the op fires (always drawn, whatever p), then,
 * if it fired, the op draws its parameters. Disabled ops draw nothing.
 */
import * as tf from '@tensorflow/tfjs';
import type { OpName, Pipeline, PipelineOp } from '../../shared/pipeline.js';
import { outputContext, type OpContext, type OpDef } from './op.js';
import { OPS } from './ops/index.js';
import type { Rng } from './rng.js';
import { applyGroups, cropResize } from './tensor-util.js';

/** What one op did to one sample (the preview shows these). */
export interface OpRecord {
  op: OpName;
  /** position of the op in pipeline.ops */
  step: number;
  applied: boolean;
  /** the op's random parameters (crop box, flip, jitter factors and order, sigma, angle...); for crops that did not fire, the whole-image box */
  drawn: object | null;
}

interface PlanStep {
  step: number;
  entry: PipelineOp;
  def: OpDef<OpName, object>;
  ctx: OpContext;
  fired: boolean[];
  draws: (object | null)[];
}

export interface ViewPlan {
  count: number;
  source: { height: number; width: number };
  steps: PlanStep[];
  /** true when no crop op ran, so the result is resized to outputSize at the end */
  finalResize: boolean;
}

/** The enabled ops with the size of the images each receives; checks each op fits. */
function layout(pipeline: Pipeline, source: { height: number; width: number }) {
  let ctx: OpContext = { ...source, outputSize: pipeline.outputSize };
  const steps: { step: number; entry: PipelineOp; def: OpDef<OpName, object>; ctx: OpContext }[] = [];
  pipeline.ops.forEach((entry, step) => {
    if (!entry.enabled) return;
    const def = OPS[entry.op] as OpDef<OpName, object>;
    def.check?.(entry.params as never, ctx, step);
    steps.push({ step, entry, def, ctx });
    ctx = outputContext(def, ctx);
  });
  return { steps, final: ctx };
}

export function drawViewPlan(pipeline: Pipeline, count: number, source: { height: number; width: number }, rng: Rng): ViewPlan {
  const { steps, final } = layout(pipeline, source);
  const plan: PlanStep[] = steps.map((s) => ({ ...s, fired: new Array<boolean>(count), draws: new Array<object | null>(count) }));
  for (let i = 0; i < count; i++) {
    for (const s of plan) {
      const params = s.entry.params as never;
      const fired = rng.bernoulli(s.entry.p);
      s.fired[i] = fired;
      s.draws[i] = fired ? s.def.draw(params, rng, s.ctx) : s.def.resizes ? s.def.idle!(params, s.ctx) : null;
    }
  }
  const finalResize = final.height !== pipeline.outputSize || final.width !== pipeline.outputSize;
  return { count, source, steps: plan, finalResize };
}

/** Per sample, what each enabled op did. */
export function planRecords(plan: ViewPlan): OpRecord[][] {
  return Array.from({ length: plan.count }, (_, i) =>
    plan.steps.map((s) => ({ op: s.entry.op, step: s.step, applied: s.fired[i]!, drawn: s.draws[i] ?? null })),
  );
}

/**
 * Run a plan on a batch of RGB images in [0, 1] (not disposed); returns the
 * views in [0, 1] at outputSize. Each step runs in its own tidy so only one
 * intermediate batch is alive between steps.
 */
export function runViewPlan(x: tf.Tensor4D, plan: ViewPlan, outputSize: number): tf.Tensor4D {
  if (x.shape[0] !== plan.count) throw new Error(`view plan is for ${plan.count} images, got a batch of ${x.shape[0]}`);
  let cur = x;
  const replace = (next: tf.Tensor4D) => {
    if (cur !== x && cur !== next) cur.dispose();
    cur = next;
  };
  for (const s of plan.steps) {
    const params = s.entry.params as never;
    replace(
      tf.tidy(() => {
        if (s.def.resizes) return s.def.apply(cur, params, s.draws as object[], s.ctx);
        const idx: number[] = [];
        s.fired.forEach((f, i) => f && idx.push(i));
        return applyGroups(cur, [{ idx, fn: (sub) => s.def.apply(sub, params, idx.map((i) => s.draws[i]!), s.ctx) }]);
      }),
    );
  }
  if (plan.finalResize) {
    const [n, h, w] = cur.shape;
    replace(tf.tidy(() => cropResize(cur, Array.from({ length: n }, () => ({ x: 0, y: 0, w, h })), outputSize)));
  }
  // Never hand back the caller's own tensor: it stays theirs to dispose.
  return cur === x ? tf.clone(x) : cur;
}
