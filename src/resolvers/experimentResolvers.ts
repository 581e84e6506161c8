// A/B experiments over GraphQL: list them with results (any key), start and stop them (admin keys).
import { requireRole } from '../domain/auth/apiKeyAuth';
import { checkId, checkLimit } from '../domain/inputLimits';
import type { ArmInput } from '../domain/experiments/armResolution';
import type { ExperimentArm, ExperimentRecord } from '../domain/experiments/experimentStore';
import type { GraphQLContext } from './context';

interface CreateExperimentArgs {
  input: { name: string; armA: ArmInput; armB: ArmInput; share: number };
}

function checkArm(arm: ArmInput, field: string): ArmInput {
  return {
    modelVersion: arm.modelVersion == null ? null : checkId(arm.modelVersion, `${field}.modelVersion`),
    fusionStrategy: arm.fusionStrategy ?? null,
  };
}

export const experimentQueryResolvers = {
  experiments: (_: unknown, args: { limit?: number }, ctx: GraphQLContext) => {
    requireRole(ctx.principal, 'client');
    return ctx.services.experiments.list(checkLimit(args.limit, 'limit', 20));
  },
};

export const experimentMutationResolvers = {
  createExperiment: (_: unknown, { input }: CreateExperimentArgs, ctx: GraphQLContext) => {
    requireRole(ctx.principal, 'admin');
    return ctx.services.experiments.create({
      name: input.name,
      share: input.share,
      armA: checkArm(input.armA, 'armA'),
      armB: checkArm(input.armB, 'armB'),
    });
  },

  stopExperiment: (_: unknown, args: { id: string }, ctx: GraphQLContext) => {
    requireRole(ctx.principal, 'admin');
    return ctx.services.experiments.stop(checkId(args.id, 'id'));
  },
};

export const experimentTypeResolvers = {
  Experiment: {
    results: (experiment: ExperimentRecord, _: unknown, ctx: GraphQLContext) => ctx.services.experiments.results(experiment),
  },
  ExperimentArm: {
    modelVersion: (arm: ExperimentArm) => String(arm.versionId),
    fusionStrategy: (arm: ExperimentArm) => arm.strategy?.toUpperCase() ?? null,
    baseVersion: (arm: ExperimentArm) => (arm.baseVersionId === null ? null : String(arm.baseVersionId)),
  },
};
