// Keeps recent text matches in process memory: the text part of a search does not depend on the shopper,
// and shoppers repeat the same head queries, so most searches skip Postgres. Emptied on every catalogue change
// anywhere in the cluster (items:changed), and entries expire after a short time in any case.
import type { ItemFilter } from '../recommendations/catalogIndex';
import type { TextMatches, TextMatching } from './textMatch';

interface Entry {
  at: number;
  /** How many candidates were asked for. */
  depth: number;
  value: Promise<TextMatches>;
  /** Candidates found, once answered: fewer than `depth` means these are all the matches there are. */
  found?: number;
}

export class TextMatchCache implements TextMatching {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly inner: TextMatching,
    /** 0 turns the cache off. */
    private readonly ttlMs = 30_000,
    private readonly maxEntries = 2000,
  ) {}

  /** Forgets everything (the catalogue changed). */
  clear(): void {
    // A match still in flight is answered to its callers but, no longer in the map, never reused.
    this.entries.clear();
  }

  match(query: string, filter: ItemFilter | null, candidates: number, pinnedIds: string[]): Promise<TextMatches> {
    if (this.ttlMs <= 0) return this.inner.match(query, filter, candidates, pinnedIds);
    // Not keyed by depth: candidates come in one total order (pins, relevance, id), so the best 100 hold the best
    // 20, and a plain search (a page deep) and a personalised one (100 deep) of the same query share an entry.
    const key = JSON.stringify([query.toLowerCase().replace(/\s+/g, ' ').trim(), filter ?? null, pinnedIds]);
    const now = Date.now();
    const hit = this.entries.get(key);
    if (hit && now - hit.at < this.ttlMs && (hit.depth >= candidates || (hit.found !== undefined && hit.found < hit.depth))) {
      // Map order is insertion order: re-inserting keeps the most recently used last.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit.depth > candidates ? hit.value.then((m) => (m.candidates.length > candidates ? { ...m, candidates: m.candidates.slice(0, candidates) } : m)) : hit.value;
    }
    // Concurrent identical searches share one query; a failure is not kept. A deeper ask replaces a shallower entry.
    const value = this.inner.match(query, filter, candidates, pinnedIds);
    const entry: Entry = { at: now, depth: candidates, value };
    this.entries.delete(key);
    this.entries.set(key, entry);
    value.then(
      (m) => (entry.found = m.candidates.length),
      () => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
      },
    );
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    return value;
  }
}
