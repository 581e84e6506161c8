// Interaction data as flat typed arrays: the one input format every model in src/ml trains on.
// Rows are sorted by user, then time (ingestion order breaks ties), so a user's history is a contiguous slice.

/** Event types as small integers; the order mirrors the GraphQL EventType enum. */
export const EVENT_TYPES = [
  'VIEW',
  'CLICK',
  'ADD_TO_CART',
  'REMOVE_FROM_CART',
  'PURCHASE',
  'RATING',
  'BOOKMARK',
  'SEARCH',
] as const;
export type EventTypeName = (typeof EVENT_TYPES)[number];

/** Default strength of each event type as implicit feedback (purchase > add-to-cart > click > view). */
export const DEFAULT_EVENT_WEIGHTS: Readonly<Record<EventTypeName, number>> = Object.freeze({
  VIEW: 1,
  CLICK: 2,
  ADD_TO_CART: 4,
  REMOVE_FROM_CART: 0,
  PURCHASE: 8,
  RATING: 3,
  BOOKMARK: 3,
  SEARCH: 0,
});

export function eventTypeCode(name: EventTypeName): number {
  const code = EVENT_TYPES.indexOf(name);
  if (code < 0) throw new Error(`unknown event type ${name}`);
  return code;
}

/** Item metadata, indexed like the model's item vocabulary (index i describes item i). */
export interface ItemMeta {
  id: string;
  title: string;
  description?: string | null;
  category?: string | null;
  brand?: string | null;
  tags?: string[] | null;
  price?: number | null;
}

/**
 * All training interactions of one data window. Users and items are dense indices
 * into `userIds` / `itemIds`; `times` are unix seconds; `weights` are implicit-feedback
 * strengths already derived from type and value.
 */
export interface Interactions {
  userIds: string[];
  itemIds: string[];
  users: Int32Array;
  items: Int32Array;
  times: Float64Array;
  types: Uint8Array;
  weights: Float32Array;
  /** Start offset of each user's rows; length userIds.length + 1. */
  userOffsets: Int32Array;
}

/** A user's recent history, oldest first, as item indices of the model's vocabulary. */
export interface UserHistory {
  items: Int32Array;
  times: Float64Array;
  types: Uint8Array;
  weights: Float32Array;
}

export function emptyHistory(): UserHistory {
  return { items: new Int32Array(0), times: new Float64Array(0), types: new Uint8Array(0), weights: new Float32Array(0) };
}

/** The slice of `data` that belongs to user `u`, as a UserHistory (views, no copy). */
export function historyOf(data: Interactions, u: number): UserHistory {
  const start = data.userOffsets[u];
  const end = data.userOffsets[u + 1];
  return {
    items: data.items.subarray(start, end),
    times: data.times.subarray(start, end),
    types: data.types.subarray(start, end),
    weights: data.weights.subarray(start, end),
  };
}
