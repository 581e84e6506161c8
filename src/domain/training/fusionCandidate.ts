// Turns a retrain's components (freshly trained plus any kept from the active version) into the one version
// it proposes to serve: the fusion (weighted or RRF, chosen and fitted on the validation targets) when it beats
// its best component on held-out NDCG@10, otherwise a best-component fusion (the winner at weight 1, the rest
// at 0 so trending and cold-start answers still have popularity), with a note saying which and why.
import type { LeaveLastOutSplit } from '../../ml/evaluation/leaveLastOutSplit';
import type { FusionParams } from '../models/activeModel';
import type { ModelVersionRecord, ModelVersionStore } from '../models/modelVersionStore';
import type { ServingComponent } from '../models/servingModel';
import { DEFAULT_FUSION_WEIGHTS, type FusionSpec } from '../models/fusionStrategy';
import { fitFusion } from './fusionFitting';
import { evaluateServed, heldOutUsers, servingModelOf, type HeldOutMetrics } from './servedEvaluation';
import { HELD_OUT } from './componentTraining';


export interface CandidateComponent {
  versionId: number;
  component: ServingComponent;
  /** Held-out metrics on this retrain's split (null when nothing was held out). */
  metrics: HeldOutMetrics | null;
  /** Kept from the active version rather than trained by this retrain. */
  kept: boolean;
}

export interface Candidate {
  record: ModelVersionRecord;
  spec: FusionSpec;
  metrics: HeldOutMetrics | null;
  note: string | null;
}

const fmt = (x: number) => x.toFixed(4);

export async function buildCandidate(
  versions: ModelVersionStore,
  parts: CandidateComponent[],
  split: LeaveLastOutSplit,
  dataWindow: Record<string, unknown>,
  opts: { maxUsers?: number; onVersion: (id: number) => void; onProgress: (fraction: number, phase: string) => void },
): Promise<Candidate> {
  if (parts.length === 1) {
    const only = parts[0];
    const record = await versions.get(only.versionId);
    if (!record) throw new Error(`version ${only.versionId} vanished during the retrain`);
    return { record, spec: { strategy: 'weighted' }, metrics: only.metrics, note: null };
  }
  const started = performance.now();
  const components = parts.map((p) => p.component);
  let weights = components.map((c) => DEFAULT_FUSION_WEIGHTS[c.kind] ?? 0.5);
  let spec: FusionSpec = { strategy: 'weighted' };
  let metrics: HeldOutMetrics | null = null;
  let note: string | null = null;
  let fusion: Record<string, unknown> | null = null;
  if (heldOutUsers(split) > 0) {
    opts.onProgress(0, 'fitting fusion');
    const fit = await fitFusion(components, split, { maxUsers: opts.maxUsers, onProgress: (f) => opts.onProgress(0.6 * f, 'fitting fusion') });
    const fitted: FusionSpec = fit.strategy === 'rrf' ? { strategy: 'rrf', rrfK: fit.rrfK } : { strategy: 'weighted' };
    opts.onProgress(0.6, 'evaluating fusion');
    const fused = await evaluateServed(servingModelOf('candidate', fitted, withWeights(components, fit.weights)), split, {
      maxUsers: opts.maxUsers,
      onProgress: (f) => opts.onProgress(0.6 + 0.4 * f, 'evaluating fusion'),
    });
    fusion = { strategy: fit.strategy, weights: fit.weights, heldOutNdcg: fused.ndcg, validation: fit.report };
    let best = 0;
    parts.forEach((p, k) => {
      if ((p.metrics?.ndcg ?? -1) > (parts[best].metrics?.ndcg ?? -1)) best = k;
    });
    const bestNdcg = parts[best].metrics?.ndcg ?? 0;
    if (fused.ndcg > bestNdcg) {
      spec = fitted;
      weights = fit.weights;
      metrics = fused;
    } else {
      spec = { strategy: 'best_component' };
      weights = components.map((_, k) => (k === best ? 1 : 0));
      metrics = parts[best].metrics;
      note =
        `${fit.strategy} fusion scored ${fmt(fused.ndcg)} held-out NDCG@10, not above ${components[best].kind} alone (${fmt(bestNdcg)}): ` +
        `${components[best].kind} is served by itself; the other components are kept at weight 0 for trending and cold start`;
    }
  } else {
    note = 'no user has 3+ events yet: nothing was held out, so default fusion weights are used and nothing was scored';
  }
  const params: FusionParams & Record<string, unknown> = {
    ...spec,
    components: parts.map((p, k) => ({ versionId: p.versionId, kind: p.component.kind, weight: weights[k] })),
    weightsFittedOn: fusion ? 'validation targets (second-to-last event of each user)' : 'defaults',
  };
  const version = await versions.create('fusion', params);
  opts.onVersion(version.id);
  const record = await versions.complete(version.id, {}, {
    metrics: {
      ...(metrics ? { ...metrics, heldOut: HELD_OUT } : {}),
      strategy: spec.strategy,
      fusion,
      components: parts.map((p, k) => ({ versionId: p.versionId, kind: p.component.kind, weight: weights[k], kept: p.kept, ndcg: p.metrics?.ndcg ?? null })),
      ...(note ? { note } : {}),
    },
    dataWindow,
    trainSeconds: (performance.now() - started) / 1000,
  });
  return { record, spec, metrics, note };
}

function withWeights(components: ServingComponent[], weights: number[]): ServingComponent[] {
  return components.map((c, k) => ({ ...c, weight: weights[k] }));
}
