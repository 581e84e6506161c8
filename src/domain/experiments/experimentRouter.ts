// The ModelRouter used by RecommendationService: outside an experiment everyone gets the active version; during
// one, each shopper gets their arm's version (by a stable hash of their id) and the list records the arm.
import type { ActiveModel } from '../models/activeModel';
import type { ModelRouter, ServingChoice } from '../models/modelRouter';
import type { ServingModel } from '../models/servingModel';
import type { ArmModels } from './armModels';
import type { ExperimentService } from './experimentService';
import { assignArm } from './userBucketing';

export class ExperimentRouter implements ModelRouter {
  constructor(
    private readonly active: ActiveModel,
    private readonly experiments: Pick<ExperimentService, 'running'>,
    private readonly arms: Pick<ArmModels, 'get'>,
  ) {}

  forUser(userId: string | null): ServingChoice | null {
    const active = this.active.get();
    if (!active) return null;
    const experiment = this.experiments.running();
    // Anonymous lists (trending) are not part of any experiment.
    if (!experiment || userId === null) return { model: active, arm: null, experimentId: null };
    const arm = assignArm(experiment.id, userId, experiment.share);
    const model = this.modelOf(arm === 'A' ? experiment.armA.versionId : experiment.armB.versionId, active);
    // An arm whose model is not loaded (yet) falls back to the active one, and the list is not counted for the experiment.
    if (!model) return { model: active, arm: null, experimentId: null };
    return { model, arm, experimentId: experiment.id };
  }

  private modelOf(versionId: number, active: ServingModel): ServingModel | null {
    return versionId === active.versionId ? active : this.arms.get(versionId);
  }
}
