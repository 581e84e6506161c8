// Decides which loaded model serves a given shopper. Without experiments it is always the active version;
// an A/B experiment routes a stable share of users (by a hash of their id) to another arm.
import type { ActiveModel } from './activeModel';
import type { ServingModel } from './servingModel';

export interface ServingChoice {
  model: ServingModel;
  /** The experiment arm the user fell into, recorded with every list served; null outside experiments. */
  arm: string | null;
  experimentId: string | null;
}

export interface ModelRouter {
  forUser(userId: string | null): ServingChoice | null;
}

/** The router used when no experiment runs: everyone gets the active version. */
export class ActiveModelRouter implements ModelRouter {
  constructor(private readonly active: ActiveModel) {}

  forUser(): ServingChoice | null {
    const model = this.active.get();
    return model ? { model, arm: null, experimentId: null } : null;
  }
}
