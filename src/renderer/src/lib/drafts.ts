/**
 * Unsaved work kept in the browser (localStorage) per data root, so a reload
 * or a server restart does not lose a half-filled Train form or the
 * designer's pipeline. Two workbenches on different data roots keep
 * separate drafts. A draft that no longer parses is dropped, never thrown.
 */
export type DraftKind = 'train-form' | 'pipeline';

const PREFIX = 'simclr-workbench-draft';

function key(kind: DraftKind, dataRoot: string): string {
  return `${PREFIX}:${kind}:${dataRoot}`;
}

function store(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

export function loadDraft<T>(kind: DraftKind, dataRoot: string, accept: (value: unknown) => value is T): T | null {
  const raw = store()?.getItem(key(kind, dataRoot));
  if (!raw) return null;
  try {
    const value: unknown = JSON.parse(raw);
    return accept(value) ? value : null;
  } catch {
    return null;
  }
}

export function saveDraft(kind: DraftKind, dataRoot: string, value: unknown): void {
  try {
    store()?.setItem(key(kind, dataRoot), JSON.stringify(value));
  } catch {
    // a full or disabled storage only costs the draft
  }
}

export function clearDraft(kind: DraftKind, dataRoot: string): void {
  store()?.removeItem(key(kind, dataRoot));
}
