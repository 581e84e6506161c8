// The one interface every recommender in src/ml implements: arrays in, scores out.
// No GraphQL, no Prisma here, so each model can be trained, tested and benchmarked alone.
import type { Interactions, ItemMeta, UserHistory } from './interactions';

export type ModelKind = 'pop' | 'itemknn' | 'mf' | 'content' | 'seq' | 'fusion';

/** Binary artefacts of a trained model; names are model-defined, values are raw bytes. */
export type ModelArtifacts = Record<string, Uint8Array>;

export interface FitOptions {
  /** Deterministic seed for sampling and initialisation. */
  seed?: number;
  /** Reference "now" in unix seconds for time decay; defaults to the newest event. */
  now?: number;
  /** Called with 0..1 progress and optional epoch/loss, for progress bars and job progress. */
  onProgress?: (p: { fraction: number; phase?: string; epoch?: number; loss?: number }) => void;
  /** Validation histories/targets for early stopping, when the caller has them. */
  validation?: { users: Int32Array; targets: Int32Array };
  /** Model-specific hyper-parameters. */
  params?: Record<string, unknown>;
  /**
   * A model of the same kind already fitted on part of `data` (same vocabularies), e.g. the protocol's fit on
   * everything but the validation targets: a model that can, starts from its weights and trains for less.
   */
  warmStart?: Recommender;
}

/** What the caller knows about the user at scoring time. */
export interface ScoreContext {
  /** The user's index in the training vocabulary, when the user was seen in training. */
  userIndex?: number;
  /** An online-updated user embedding that replaces the trained one (matrix factorisation). */
  userEmbedding?: Float32Array;
  /** Scoring time in unix seconds (recency weighting). */
  now?: number;
  /** Free-form request context: device, hour, page type... */
  context?: Record<string, unknown>;
}

/** One user's scores over every item, read item by item or as a head, without a dense score array. */
export interface ScoreRow {
  numItems: number;
  /** The score of item j. */
  scoreAt(j: number): number;
  /** The `n` best items (`skip` true keeps one out), and the lowest and highest score over all items. */
  search(n: number, skip: (j: number) => boolean): { indices: Int32Array; min: number; max: number };
}

export interface Recommender {
  readonly kind: ModelKind;
  /** Item vocabulary size: score arrays have this length. */
  readonly numItems: number;
  /** Trains from scratch on `data`; `items` is indexed like data.itemIds. */
  fit(data: Interactions, items: ItemMeta[] | null, opts?: FitOptions): Promise<void>;
  /**
   * Writes a score for every item into `out` (length numItems). Higher is better; items
   * with no evidence get -Infinity or 0 by model convention (fusion normalises). Must not allocate tensors
   * that outlive the call.
   */
  scoreUser(history: UserHistory, out: Float32Array, ctx?: ScoreContext): void;
  /**
   * The same scores as scoreUser, served without writing a score per item, when the model's scores for this
   * history are mostly one simple prior (item-to-item: neighbour evidence on a few items, popularity elsewhere).
   * Null: use scoreUser.
   */
  sparseScores?(history: UserHistory, ctx?: ScoreContext): ScoreRow | null;
  /** Item-to-item similarity scores for `item` into `out`, when the model has a notion of it. */
  similarItems?(item: number, out: Float32Array): void;
  /**
   * The values similarItems would write for `item`, as a lookup by other item, for models whose similarities are
   * sparse (neighbour lists): a caller asking about a few items then pays for the neighbours, not the catalogue.
   */
  similarityTo?(item: number): (other: number) => number;
  /** Serialises the trained state. */
  save(): ModelArtifacts;
  /** Frees tensors or large buffers. */
  dispose(): void;
}
