/**
 * Validation problems in people's words. Schema messages ("Too small: expected
 * number to be >0", "Invalid input: expected int, received number") come from
 * zod, in the page and from the server alike; this is the one place that turns
 * them into a sentence about the field ("Epochs must be a whole number").
 * Messages written by hand in the schemas (refinements) pass through, prefixed
 * with the field's name.
 */

/** Names of fields as the forms label them; other paths are spelled out from their last segment. */
const FIELD_LABELS: Record<string, string> = {
  runName: 'Run name',
  dataset: 'Dataset',
  trainLimit: 'Training images',
  'model.preset': 'Model',
  'model.width': 'Width',
  pipeline: 'Augmentation pipeline',
  epochs: 'Epochs',
  batchSize: 'Batch size',
  'optimizer.name': 'Optimiser',
  'optimizer.baseLr': 'Base learning rate',
  'optimizer.lrScaling': 'Learning-rate scaling',
  'optimizer.warmupEpochs': 'Warmup epochs',
  'optimizer.weightDecay': 'Weight decay',
  temperature: 'Temperature',
  seed: 'Seed',
  backend: 'Backend',
  'knn.every': 'kNN monitor interval',
  'knn.k': 'kNN neighbours',
  'knn.testLimit': 'kNN test images',
  n: 'Number of images',
  perplexity: 'Perplexity',
  iterations: 'Iterations',
  neighbors: 'Neighbours',
  minDist: 'Min distance',
};

/** Last path segments with a name that is not just the key spelled out. */
const KEY_LABELS: Record<string, string> = { p: 'Probability', op: 'Op name' };

/** "optimizer.baseLr" -> "Base learning rate"; "ops.2.params.scale" (or "ops[2].params.scale") -> "Scale (op 3)". */
export function fieldLabel(rawPath: string): string {
  const path = rawPath.replace(/\[(\d+)\]/g, '.$1');
  if (FIELD_LABELS[path]) return FIELD_LABELS[path];
  const parts = path.split('.').filter(Boolean);
  const last = [...parts].reverse().find((p) => !/^\d+$/.test(p)) ?? path;
  const words = KEY_LABELS[last] ?? last.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  const opIndex = parts[0] === 'ops' && /^\d+$/.test(parts[1] ?? '') ? ` (op ${Number(parts[1]) + 1})` : '';
  return (words.charAt(0).toUpperCase() + words.slice(1) || 'This field') + opIndex;
}

function bound(op: string, value: string, what: 'number' | 'length' | 'items'): string {
  const n = Number(value);
  const shown = Number.isFinite(n) ? String(n) : value;
  if (what === 'length') return op.startsWith('>') ? (n <= 1 ? 'must not be empty' : `must have at least ${shown} characters`) : `must have at most ${shown} characters`;
  if (what === 'items') return op.startsWith('>') ? (n <= 1 ? 'needs at least one entry' : `needs at least ${shown} entries`) : `may have at most ${shown} entries`;
  switch (op) {
    case '>':
      return n === 0 ? 'must be more than 0' : `must be more than ${shown}`;
    case '>=':
      return `must be at least ${shown}`;
    case '<':
      return `must be less than ${shown}`;
    default:
      return `must be at most ${shown}`;
  }
}

/** The sentence for one problem at one field. */
export function friendlyMessage(path: string, message: string): string {
  const name = fieldLabel(path);
  let m: RegExpExecArray | null;
  if (/expected (number|int), received NaN/.test(message) || /received (undefined|null)/.test(message) && /expected (number|int)/.test(message)) return `${name}: enter a number`;
  if (/expected int, received number/.test(message)) return `${name} must be a whole number`;
  if ((m = /expected number to be (>=|>|<=|<)\s*(-?[\d.e+-]+)/.exec(message))) return `${name} ${bound(m[1]!, m[2]!, 'number')}`;
  if ((m = /expected string to have (>=|>|<=|<)\s*(\d+) characters/.exec(message))) return `${name} ${bound(m[1]!, m[2]!, 'length')}`;
  if ((m = /expected array to have (>=|>|<=|<)\s*(\d+) items/.exec(message))) return `${name} ${bound(m[1]!, m[2]!, 'items')}`;
  if ((m = /Invalid option: expected one of (.+)$/.exec(message))) return `${name} must be one of ${m[1]!.replace(/"/g, '').split('|').join(', ')}`;
  if ((m = /expected (\w+), received (\w+)/.exec(message))) return `${name} must be a ${m[1] === 'int' ? 'whole number' : m[1]}, not a ${m[2]}`;
  if (/^Unrecognized key/.test(message)) return `${name}: ${message.replace(/^Unrecognized keys?:?\s*/, 'unknown setting ')}`;
  if (message === 'enter a number') return `${name}: enter a number`;
  // Hand-written schema messages already read as sentences about the value.
  return path ? `${name}: ${message}` : message;
}

export interface Problem {
  path: string;
  message: string;
}

/** Every problem as a sentence, one per field and message (duplicates dropped). */
export function friendlyProblems(issues: readonly Problem[]): Problem[] {
  const seen = new Set<string>();
  const out: Problem[] = [];
  for (const i of issues) {
    const message = friendlyMessage(i.path, i.message);
    const key = `${i.path}\n${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ path: i.path, message });
  }
  return out;
}

/** "1 problem", "2 problems". */
export function problemCount(n: number): string {
  return `${n} problem${n === 1 ? '' : 's'}`;
}
