// Trains one model kind for a retrain: fit on the split's validation-train rows (tunable models tune and
// stop early on the validation targets), score it as served on the held-out last events, and store its
// artefacts and metrics as a ready version. The fitted model stays in memory for fusion.
import type { ItemMeta } from '../../ml/interactions';
import type { LeaveLastOutSplit } from '../../ml/evaluation/leaveLastOutSplit';
import { isTunable } from '../../ml/evaluation/evaluateModel';
import { createRecommender } from '../../ml/models/registry';
import type { ModelVersionRecord, ModelVersionStore } from '../models/modelVersionStore';
import { withVocabulary } from '../models/modelArtifacts';
import type { ServingComponent } from '../models/servingModel';
import type { Db } from '../../db/prismaClient';
import { recordParams } from '../models/versionAnnotations';
import { evaluateServed, heldOutUsers, servingModelOf, type HeldOutMetrics } from './servedEvaluation';

export interface TrainedComponent {
  record: ModelVersionRecord;
  /** The fitted model with its vocabulary; the retrain disposes it when done. */
  component: ServingComponent;
  metrics: HeldOutMetrics | null;
}

export interface ComponentProgress {
  /** 0..1 within this component's share of the job. */
  fraction: number;
  phase: string;
  epoch?: number;
  loss?: number;
}

/** Where each component's metrics come from, stored with them so the numbers explain themselves. */
export const HELD_OUT =
  "each user's last event (users with 3+ events), scored as served; models fit on everything before each user's last two events";

export async function trainComponent(
  deps: { db: Db; versions: ModelVersionStore },
  kind: string,
  split: LeaveLastOutSplit,
  items: ItemMeta[],
  dataWindow: Record<string, unknown>,
  opts: {
    maxUsers?: number;
    seed: number;
    /** Hyper-parameters tuned by an earlier retrain; without them a tunable model tunes on validation. */
    params?: Record<string, unknown> | null;
    onVersion: (id: number) => void;
    onProgress: (p: ComponentProgress) => void;
  },
): Promise<TrainedComponent> {
  const version = await deps.versions.create(kind, opts.params ?? {});
  opts.onVersion(version.id);
  const model = createRecommender(kind, opts.params ?? undefined);
  const component: ServingComponent = { kind, weight: 1, itemIds: split.all.itemIds, model };
  try {
    const started = performance.now();
    const heldOut = heldOutUsers(split) > 0;
    // Announce the phase before fit: a model may prepare for a long while before its first progress report.
    opts.onProgress({ fraction: 0, phase: `training ${kind}` });
    await model.fit(split.validationTrain, items, {
      seed: opts.seed,
      validation: heldOut ? split.validation : undefined,
      onProgress: (p) => opts.onProgress({ fraction: 0.8 * p.fraction, phase: `training ${kind}`, epoch: p.epoch, loss: p.loss }),
    });
    const trainSeconds = (performance.now() - started) / 1000;
    opts.onProgress({ fraction: 0.8, phase: `evaluating ${kind}` });
    const metrics = heldOut
      ? await evaluateServed(servingModelOf(`v${version.id}`, 'weighted', [component]), split, {
          maxUsers: opts.maxUsers,
          onProgress: (f) => opts.onProgress({ fraction: 0.8 + 0.15 * f, phase: `evaluating ${kind}` }),
        })
      : null;
    opts.onProgress({ fraction: 0.95, phase: `saving ${kind}` });
    const record = await deps.versions.complete(version.id, withVocabulary(model.save(), split.all.itemIds), {
      metrics: metrics ? { ...metrics, heldOut: HELD_OUT } : { note: 'no user has 3+ events yet: nothing was held out to score it' },
      dataWindow,
      trainSeconds,
    });
    if (isTunable(model)) await recordParams(deps.db, version.id, model.tunedParams());
    return { record, component, metrics };
  } catch (err) {
    model.dispose();
    throw err;
  }
}
