// Turns an arm as an admin names it (a model version, a fusion strategy, both, or neither) into the stored
// version the arm will serve. A strategy other than the version's own becomes a new fusion version (ready,
// never activated) over the same components, so every arm is a plain version every process can load.
import { InvalidInputError, NotFoundError } from '../../errors';
import { isFusionStrategy } from '../models/fusionStrategy';
import type { ModelVersionRecord, ModelVersionStore } from '../models/modelVersionStore';
import { servingOf, type ComponentRef } from '../models/versionComponents';
import { servingLabel } from './armModels';
import type { ExperimentArm } from './experimentStore';

export interface ArmInput {
  /** The version to serve; omitted: the version active now. */
  modelVersion?: string | null;
  /** Serve that version's components fused with this strategy (FusionStrategy enum value). */
  fusionStrategy?: string | null;
}

const SERVABLE = new Set(['ready', 'active', 'retired']);

export async function resolveArm(versions: ModelVersionStore, input: ArmInput, field: string): Promise<ExperimentArm> {
  const base = await baseVersion(versions, input.modelVersion ?? null, field);
  if (!SERVABLE.has(base.status)) {
    throw new InvalidInputError(`${field}: model version ${base.id} is ${base.status} and cannot be served`, { field });
  }
  let served = base;
  if (input.fusionStrategy) {
    const strategy = input.fusionStrategy.toLowerCase();
    if (!isFusionStrategy(strategy)) throw new InvalidInputError(`${field}: unknown fusion strategy ${input.fusionStrategy}`, { field });
    if (base.kind !== 'fusion') {
      throw new InvalidInputError(`${field}: version ${base.id} is a single ${base.kind} model; a fusion strategy needs a fusion version`, { field });
    }
    if (servingOf(base).strategy !== strategy) served = await strategyVariant(versions, base, strategy);
  }
  return {
    versionId: served.id,
    strategy: served.kind === 'fusion' ? servingOf(served).strategy : null,
    label: servingLabel(served),
    baseVersionId: served.id === base.id ? null : base.id,
  };
}

async function baseVersion(versions: ModelVersionStore, id: string | null, field: string): Promise<ModelVersionRecord> {
  if (id === null) {
    const active = await versions.active();
    if (!active) throw new InvalidInputError(`${field}: no version is active yet, so name a modelVersion (or retrain first)`, { field });
    return active;
  }
  const n = Number(id);
  const found = /^\d{1,10}$/.test(id) && Number.isSafeInteger(n) ? await versions.get(n) : null;
  if (!found) throw new NotFoundError('Model version', id);
  return found;
}

/** A new ready fusion version serving `base`'s components with `strategy`. */
async function strategyVariant(versions: ModelVersionStore, base: ModelVersionRecord, strategy: string): Promise<ModelVersionRecord> {
  const current = servingOf(base);
  const refs = strategy === 'best_component' ? await bestComponentOnly(versions, base, current.refs) : fromBestComponent(current);
  const created = await versions.create('fusion', { strategy, components: refs, basedOn: base.id, setBy: 'experiment' });
  const described = refs.map((r) => `${r.kind} ${r.weight}`).join(', ');
  return versions.complete(created.id, {}, {
    metrics: { strategy, note: `variant of v${base.id} with ${strategy} (${described}) for an A/B experiment; not scored offline` },
    dataWindow: base.dataWindow ?? {},
    trainSeconds: 0,
  });
}

/** Best-component's one-hot weights mean nothing to another strategy: give every component weight 1. */
function fromBestComponent(current: { strategy: string; refs: ComponentRef[] }): ComponentRef[] {
  return current.strategy === 'best_component' ? current.refs.map((r) => ({ ...r, weight: 1 })) : current.refs;
}

/** Weight 1 for the component that scored best on held-out data (as the fusion's retrain measured it), 0 for the rest. */
async function bestComponentOnly(versions: ModelVersionStore, base: ModelVersionRecord, refs: ComponentRef[]): Promise<ComponentRef[]> {
  const scored = new Map<number, number>();
  const listed = base.metrics?.components;
  if (Array.isArray(listed)) {
    for (const c of listed as { versionId?: unknown; ndcg?: unknown }[]) {
      if (typeof c.versionId === 'number' && typeof c.ndcg === 'number') scored.set(c.versionId, c.ndcg);
    }
  }
  for (const r of refs) {
    if (scored.has(r.versionId)) continue;
    const ndcg = (await versions.get(r.versionId))?.metrics?.ndcg;
    scored.set(r.versionId, typeof ndcg === 'number' ? ndcg : -1);
  }
  let best = refs[0];
  for (const r of refs) if ((scored.get(r.versionId) ?? -1) > (scored.get(best.versionId) ?? -1)) best = r;
  return refs.map((r) => ({ ...r, weight: r === best ? 1 : 0 }));
}
