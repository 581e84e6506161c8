// The typed topic map: every pub/sub message this system sends, with its payload type. Channel names are
// derived here and nowhere else, so a publisher and a subscriber cannot disagree on a name.

export interface PushedItem {
  id: string;
  score: number;
  reasons: { source: string; weight: number; explanation?: string }[];
}

export interface RecommendationsChanged {
  userId: string;
  recommId: string;
  modelVersion: string;
  generatedAt: string;
  items: PushedItem[];
  /** Id of the newest event the list reflects; subscribers drop anything older (out-of-order guard). */
  eventSeq: string;
}

/**
 * Subscribers asking for at most this many items listen on 'recs-head', whose lists hold only their head; deeper
 * ones on 'recs' (the whole cached list). The online updater computes a list only as deep as someone listens.
 */
export const PUSH_HEAD_DEPTH = 10;

export interface ModelPublished {
  versionId: number;
}

export interface ItemsChanged {
  ids: string[];
}

export interface ApiKeysChanged {
  id: string;
}

export interface UserDeleted {
  userId: string;
}

/** A retrain job's state after a change (progress step, retry, completion, failure), keyed by job id. */
export interface TrainingJobChanged {
  id: string;
  status: 'queued' | 'running' | 'completed' | 'failed';
  progress: number;
  phase: string | null;
  epoch: number | null;
  loss: number | null;
  metrics: Record<string, unknown> | null;
  error: string | null;
  attempts: number;
  models: string[];
  servedVersion: string | null;
  createdAt: string | null;
  /** Milliseconds when the state was observed; subscribers drop anything older than what they delivered. */
  at: number;
}

/** A tenant was created, disabled or enabled (control plane only); workers start or stop its jobs. */
export interface TenantsChanged {
  id: string;
}

/** The merchandising rule set was replaced; every process reloads it from Postgres. */
export interface RulesChanged {
  at: number;
}

export interface TopicPayloads {
  recs: RecommendationsChanged;
  'recs-head': RecommendationsChanged;
  'model:published': ModelPublished;
  'items:changed': ItemsChanged;
  'user:deleted': UserDeleted;
  'apikeys:changed': ApiKeysChanged;
  'training:job': TrainingJobChanged;
  'rules:changed': RulesChanged;
  'tenants:changed': TenantsChanged;
}

export type TopicName = keyof TopicPayloads;

/** A topic plus its optional sub-key (the user id for per-user topics). */
export function channelSuffix(topic: TopicName, key?: string): string {
  return key === undefined ? topic : `${topic}:${key}`;
}
