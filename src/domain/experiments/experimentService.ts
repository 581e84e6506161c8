// A/B experiments as admins drive them (start, stop, list, results) and as every process serves them: each
// process keeps the running experiment in memory for the request path, re-reads it from Postgres every few
// seconds (so an experiment started on one API server reaches all of them) and keeps its arms' models loaded.
import type { Db } from '../../db/prismaClient';
import type { Logger } from '../../logger';
import { InvalidInputError } from '../../errors';
import type { ActiveModel } from '../models/activeModel';
import type { ModelVersionStore } from '../models/modelVersionStore';
import { resolveArm, type ArmInput } from './armResolution';
import type { ArmModels } from './armModels';
import { experimentResults, type ExperimentResults } from './experimentResults';
import type { ExperimentRecord, ExperimentStore } from './experimentStore';

export interface CreateExperimentInput {
  name: string;
  armA: ArmInput;
  armB: ArmInput;
  share: number;
}

const NAME_MAX = 200;

export class ExperimentService {
  private current: ExperimentRecord | null = null;
  private timer: NodeJS.Timeout | null = null;
  private refreshes: Promise<void> = Promise.resolve();
  private pending = 0;

  constructor(
    private readonly db: Db,
    private readonly store: ExperimentStore,
    private readonly versions: ModelVersionStore,
    private readonly active: ActiveModel,
    private readonly arms: ArmModels,
    private readonly log: Logger,
    private readonly syncMs = 2000,
  ) {}

  /** The experiment this process routes by: the running one, once read. */
  running(): ExperimentRecord | null {
    return this.current;
  }

  async start(): Promise<void> {
    await this.refresh();
    // A tick is skipped while a refresh is still queued: a slow database must not pile them up.
    this.timer = setInterval(() => {
      if (this.pending === 0) void this.refresh();
    }, this.syncMs);
    this.timer.unref();
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.refreshes;
    await this.arms.close();
  }

  async create(input: CreateExperimentInput): Promise<ExperimentRecord> {
    const name = input.name?.trim();
    if (!name || name.length > NAME_MAX) throw new InvalidInputError(`name must be 1 to ${NAME_MAX} characters`, { field: 'name' });
    if (typeof input.share !== 'number' || !(input.share > 0 && input.share < 1)) {
      throw new InvalidInputError('share (the fraction of shoppers served arm B) must be between 0 and 1, exclusive', { field: 'share' });
    }
    const armA = await resolveArm(this.versions, input.armA, 'armA');
    const armB = await resolveArm(this.versions, input.armB, 'armB');
    if (armA.versionId === armB.versionId) {
      throw new InvalidInputError(`both arms would serve ${armA.label}; name different versions or strategies`, { field: 'armB' });
    }
    const experiment = await this.store.start({ name, share: input.share, armA, armB });
    this.log.info({ experimentId: experiment.id, name, armA: armA.label, armB: armB.label, share: input.share }, 'experiment started');
    await this.refresh();
    return experiment;
  }

  async stop(id: string): Promise<ExperimentRecord> {
    const experiment = await this.store.stop(id);
    this.log.info({ experimentId: id }, 'experiment stopped');
    await this.refresh();
    return experiment;
  }

  list(limit: number): Promise<ExperimentRecord[]> {
    return this.store.list(limit);
  }

  results(experiment: ExperimentRecord): Promise<ExperimentResults> {
    return experimentResults(this.db, experiment);
  }

  /**
   * Re-reads the running experiment and loads the arm versions the active model does not already serve. The
   * new experiment is routed only once its arms are loaded, so no list is counted for an arm that did not serve it.
   */
  refresh(): Promise<void> {
    // Serialised, and never joined to one already running: a refresh asked for after a change must read it.
    this.pending++;
    this.refreshes = this.refreshes.then(() => this.reload()).finally(() => void this.pending--);
    return this.refreshes;
  }

  private async reload(): Promise<void> {
    try {
      const running = await this.store.running();
      const wanted = running ? [running.armA.versionId, running.armB.versionId].filter((id) => id !== this.active.versionId) : [];
      await this.arms.sync(wanted);
      this.current = running;
    } catch (err) {
      this.log.warn({ err }, 'could not refresh the running experiment');
    }
  }
}
