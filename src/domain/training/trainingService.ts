// The retrain path: dataset (paged from Postgres) -> leave-last-out split -> train each requested model and
// score it as served on held-out last events -> a fusion candidate (fitted weights, or its best component) ->
// gate against the active version re-scored on the same split -> activate and publish, so every process
// hot-swaps. Versions it created are marked failed if the job fails; the active version is never touched then.
import type { Logger } from '../../logger';
import type { RedisPubSub } from '../../pubsub/redisPubSub';
import type { Db } from '../../db/prismaClient';
import { leaveLastOutSplit, type LeaveLastOutSplit } from '../../ml/evaluation/leaveLastOutSplit';
import { isRegistered } from '../../ml/models/registry';
import { initBackend } from '../../ml/backend';
import { InvalidInputError } from '../../errors';
import type { ModelVersionStore, ModelVersionRecord } from '../models/modelVersionStore';
import { loadComponents, servingOf } from '../models/versionComponents';
import { annotateVersion, tunedParamsOf } from '../models/versionAnnotations';
import type { ServingComponent } from '../models/servingModel';
import type { FusionSpec } from '../models/fusionStrategy';
import { loadTrainingDataset } from './trainingDataset';
import type { TrainingJobs } from './trainingJobs';
import { trainComponent, type TrainedComponent } from './componentTraining';
import { buildCandidate, type CandidateComponent } from './fusionCandidate';
import { evaluateServed, heldOutUsers, servingModelOf, type HeldOutMetrics } from './servedEvaluation';

export { DEFAULT_FUSION_WEIGHTS } from '../models/fusionStrategy';

export const TRAINABLE_KINDS = ['pop', 'itemknn', 'mf', 'content', 'seq'] as const;

export interface TrainingProgress {
  phase: string;
  /** 0..100 over the whole job. */
  percent: number;
  epoch?: number;
  loss?: number;
}

export interface RetrainRequest {
  models: string[];
  /**
   * True: the candidate is exactly the requested models, their hyper-parameters re-tuned on validation. False
   * (incremental): the active version's other components are kept, and each model reuses its tuned parameters.
   */
  full: boolean;
}

export interface RetrainResult {
  components: ModelVersionRecord[];
  /** The version proposed for serving: active when it passed the gate, ready when it did not. */
  served: ModelVersionRecord;
  promoted: boolean;
  note: string | null;
  metrics: Record<string, unknown>;
}

export interface TrainingOptions {
  /** Where the retrain worker publishes job state; required by startRetrainWorker. */
  jobs?: TrainingJobs;
  /** Held-out users sampled to score candidates and the active version; undefined = all. */
  evalUsers?: number;
  defaultModels?: string[];
}

/** Kinds that can be trained in this build: known to the API and registered in src/ml. */
export function availableKinds(): string[] {
  return TRAINABLE_KINDS.filter((k) => isRegistered(k));
}

/** Validates requested model names (null/empty = `fallback`); throws BAD_USER_INPUT naming what is wrong. */
export function resolveKinds(requested: readonly string[] | null | undefined, fallback: readonly string[]): string[] {
  const kinds = [...new Set((requested?.length ? requested : fallback).map((k) => k.trim()))];
  const available = availableKinds();
  const unknown = kinds.filter((k) => !available.includes(k));
  if (!kinds.length || unknown.length) {
    throw new InvalidInputError(`models must be a non-empty subset of ${available.join(', ')}; unknown or unavailable: ${unknown.join(', ') || 'none'}`, {
      field: 'models',
    });
  }
  return kinds;
}

const fmt = (x: number) => x.toFixed(4);

export class TrainingService {
  constructor(
    private readonly db: Db,
    private readonly versions: ModelVersionStore,
    private readonly pubsub: RedisPubSub,
    private readonly log: Logger,
    private readonly options: TrainingOptions = {},
  ) {}

  get jobs(): TrainingJobs {
    if (!this.options.jobs) throw new Error('TrainingService was built without TrainingJobs');
    return this.options.jobs;
  }

  /** A bare list of kinds is a full retrain of exactly those models. */
  async retrain(what: RetrainRequest | string[], onProgress: (p: TrainingProgress) => void = () => undefined): Promise<RetrainResult> {
    const request: RetrainRequest = Array.isArray(what) ? { models: what, full: true } : what;
    const kinds = resolveKinds(request.models, this.options.defaultModels ?? ['pop', 'itemknn']);
    const progress = (percent: number, phase: string, extra: { epoch?: number; loss?: number } = {}) =>
      onProgress({ phase, percent: Math.min(100, Math.max(0, percent)), ...extra });
    progress(0, 'loading');
    // TensorFlow.js models (mf, seq) need a backend chosen before they build tensors; idempotent after the first call.
    await initBackend({ logger: (level, message) => this.log[level](message) });
    const total = await this.db.event.count({ where: { flagged: false, itemId: { not: null } } });
    const data = await loadTrainingDataset(this.db, (events) => progress(8 * Math.min(1, events / Math.max(total, 1)), 'loading'));
    if (!data.window.events) throw new InvalidInputError('there are no events to train on yet');
    const split = leaveLastOutSplit(data.interactions);
    const dataWindow = { ...data.window, heldOutUsers: heldOutUsers(split) };
    progress(10, 'splitting');

    const created: number[] = [];
    const owned: ServingComponent[] = [];
    try {
      const startActive = await this.versions.active();
      const keptRefs = request.full || !startActive ? [] : servingOf(startActive).refs.filter((r) => !kinds.includes(r.kind));
      const kept = await loadComponents(this.versions, keptRefs);
      owned.push(...kept);

      const trained: TrainedComponent[] = [];
      const share = 65 / kinds.length;
      const servedRefs = startActive ? servingOf(startActive).refs : [];
      for (const [k, kind] of kinds.entries()) {
        // A full retrain re-tunes hyper-parameters; an incremental one reuses those its served version was tuned to.
        const params = request.full ? null : await tunedParamsOf(this.db, kind, servedRefs.find((r) => r.kind === kind)?.versionId);
        const t = await trainComponent({ db: this.db, versions: this.versions }, kind, split, data.items, dataWindow, {
          maxUsers: this.options.evalUsers,
          seed: 42,
          params,
          onVersion: (id) => created.push(id),
          onProgress: (p) => progress(10 + share * (k + p.fraction), p.phase, { epoch: p.epoch, loss: p.loss }),
        });
        owned.push(t.component);
        trained.push(t);
      }

      progress(75, 'scoring kept components');
      const parts: CandidateComponent[] = trained.map((t) => ({ versionId: t.record.id, component: t.component, metrics: t.metrics, kept: false }));
      for (const [j, c] of kept.entries()) parts.push({ versionId: keptRefs[j].versionId, component: c, metrics: await this.score([{ ...c, weight: 1 }], 'weighted', split), kept: true });
      const candidate = await buildCandidate(this.versions, parts, split, dataWindow, {
        maxUsers: this.options.evalUsers,
        onVersion: (id) => created.push(id),
        onProgress: (f, phase) => progress(78 + 10 * f, phase),
      });

      progress(88, 'comparing with the active version');
      const gate = await this.gate(candidate.record, candidate.metrics, split);
      const note = [candidate.note, gate.note].filter(Boolean).join('; ') || null;
      await annotateVersion(this.db, candidate.record.id, { note, promoted: gate.promote, comparedWith: gate.comparedWith });
      let served = (await this.versions.get(candidate.record.id)) as ModelVersionRecord;
      if (gate.promote) {
        progress(97, 'publishing');
        served = await this.activate(served.id);
      }
      progress(100, 'done');
      return {
        components: trained.map((t) => t.record),
        served,
        promoted: gate.promote,
        note,
        metrics: { ...(served.metrics ?? {}), servedVersionId: served.id },
      };
    } catch (err) {
      const message = `retrain failed: ${(err as Error).message}`;
      for (const id of created) {
        const v = await this.versions.get(id).catch(() => null);
        if (v && v.status !== 'active') await this.versions.fail(id, message).catch(() => undefined);
      }
      throw err;
    } finally {
      for (const c of owned) c.model.dispose();
    }
  }

  /** Makes a version the served one and tells every process to load it. */
  async activate(versionId: number): Promise<ModelVersionRecord> {
    const record = await this.versions.activate(versionId);
    await this.pubsub.publish('model:published', { versionId });
    this.log.info({ versionId, kind: record.kind }, 'model version activated');
    return record;
  }

  /**
   * Promotion gate: the candidate must score no worse than the active version on held-out NDCG@10, both
   * scored as served on this retrain's split and sampled users. The active version never saw these targets
   * (every version is trained without each user's last two events, and newer events are newer still).
   */
  private async gate(
    candidate: ModelVersionRecord,
    metrics: HeldOutMetrics | null,
    split: LeaveLastOutSplit,
  ): Promise<{ promote: boolean; note: string | null; comparedWith: Record<string, unknown> | null }> {
    const active = await this.versions.active();
    if (!active) return { promote: true, note: 'promoted: no version was active', comparedWith: null };
    if (!metrics) {
      return { promote: false, note: `not promoted: nothing was held out to compare with active v${active.id}; promoteModel serves it anyway`, comparedWith: null };
    }
    const serving = servingOf(active);
    const components = await loadComponents(this.versions, serving.refs);
    let activeMetrics: HeldOutMetrics;
    try {
      activeMetrics = (await this.score(components, serving, split)) as HeldOutMetrics;
    } finally {
      for (const c of components) c.model.dispose();
    }
    const comparedWith = { versionId: active.id, ...activeMetrics };
    if (metrics.ndcg + 1e-9 >= activeMetrics.ndcg) {
      return { promote: true, note: `promoted: held-out NDCG@10 ${fmt(metrics.ndcg)} >= active v${active.id}'s ${fmt(activeMetrics.ndcg)}`, comparedWith };
    }
    return {
      promote: false,
      note: `not promoted: held-out NDCG@10 ${fmt(metrics.ndcg)} is below active v${active.id}'s ${fmt(activeMetrics.ndcg)} on the same users; promoteModel serves it anyway`,
      comparedWith,
    };
  }

  private async score(components: ServingComponent[], spec: FusionSpec | string, split: LeaveLastOutSplit): Promise<HeldOutMetrics | null> {
    if (!heldOutUsers(split)) return null;
    return evaluateServed(servingModelOf('scored', spec, components), split, { maxUsers: this.options.evalUsers });
  }
}
