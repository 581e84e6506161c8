// The union item vocabulary of a model version's components, and each component's index maps to and from it.
// A serving process computes it during a swap, in slices that yield to the event loop (tens of thousands of Map
// operations per component would otherwise be one long synchronous step); tests and training compute it at once.
import { setImmediate as nextTurn } from 'node:timers/promises';

export interface ComponentAlignment {
  /** union index -> component index (-1 when the component lacks the item), or null for identity. */
  toLocal: Int32Array | null;
  /** component index -> union index, or null for identity. */
  toUnion: Int32Array | null;
}

export interface VocabularyAlignment {
  /** Every component's items, each once, in order of first appearance. */
  union: string[];
  index: Map<string, number>;
  /** One per component, in the order given. */
  components: ComponentAlignment[];
}

// Items handled between two yields: a few milliseconds of Map work at most.
const SLICE_ITEMS = 4000;

export function alignVocabularies(itemIds: readonly string[][]): VocabularyAlignment {
  const steps = alignmentSteps(itemIds);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** The same alignment, yielding to the event loop every SLICE_ITEMS items. */
export async function alignVocabulariesCooperatively(itemIds: readonly string[][]): Promise<VocabularyAlignment> {
  const steps = alignmentSteps(itemIds);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    await nextTurn();
  }
}

function* alignmentSteps(itemIds: readonly string[][]): Generator<void, VocabularyAlignment> {
  let work = 0;
  const union: string[] = [];
  const index = new Map<string, number>();
  for (const ids of itemIds) {
    for (const id of ids) {
      if (!index.has(id)) {
        index.set(id, union.length);
        union.push(id);
      }
      if (++work % SLICE_ITEMS === 0) yield;
    }
  }
  const components: ComponentAlignment[] = [];
  for (const ids of itemIds) {
    let identity = ids.length === union.length;
    for (let i = 0; identity && i < ids.length; i++) {
      identity = ids[i] === union[i];
      if (++work % SLICE_ITEMS === 0) yield;
    }
    if (identity) {
      components.push({ toLocal: null, toUnion: null });
      continue;
    }
    const toLocal = new Int32Array(union.length).fill(-1);
    const toUnion = new Int32Array(ids.length);
    for (let j = 0; j < ids.length; j++) {
      const u = index.get(ids[j]) as number;
      toUnion[j] = u;
      // A duplicated id maps to its last position, as a Map built from the ids would.
      toLocal[u] = j;
      if (++work % SLICE_ITEMS === 0) yield;
    }
    components.push({ toLocal, toUnion });
  }
  return { union, index, components };
}
