// Persistence of A/B experiments in Postgres. At most one experiment runs at a time: starting one is a
// transaction serialised on an advisory lock, so two admins starting experiments at once cannot both win.
import { randomUUID } from 'node:crypto';
import type { Db } from '../../db/prismaClient';
import { InvalidInputError, NotFoundError } from '../../errors';

/** What one arm serves: a stored model version, with the fusion strategy it is served with. */
export interface ExperimentArm {
  versionId: number;
  /** weighted, rrf or best_component for a fusion version; null for a single model. */
  strategy: string | null;
  /** The served model's label, as lists name it ("v7 fusion(pop+itemknn)"). */
  label: string;
  /** When the arm is a strategy variant made for the experiment: the version it was derived from. */
  baseVersionId: number | null;
}

export type ExperimentStatus = 'running' | 'stopped';

export interface ExperimentRecord {
  id: string;
  name: string;
  status: ExperimentStatus;
  /** Fraction of shoppers served arm B. */
  share: number;
  armA: ExperimentArm;
  armB: ExperimentArm;
  createdAt: Date;
  stoppedAt: Date | null;
}

const START_LOCK_ID = 72707370;
/** The transaction is tiny, but may queue behind a busy pool: wait for a connection rather than fail the admin's request. */
const START_TRANSACTION = { maxWait: 10_000, timeout: 20_000 };

type Row = { id: string; name: string; status: string; share: number; armA: unknown; armB: unknown; createdAt: Date; stoppedAt: Date | null };

function toRecord(row: Row): ExperimentRecord {
  return { ...row, status: row.status as ExperimentStatus, armA: row.armA as ExperimentArm, armB: row.armB as ExperimentArm };
}

export class ExperimentStore {
  constructor(private readonly db: Db) {}

  /** Stores a running experiment; fails when another one is running. */
  async start(input: { name: string; share: number; armA: ExperimentArm; armB: ExperimentArm }): Promise<ExperimentRecord> {
    return this.db.$transaction(async (tx) => {
      await tx.$executeRawUnsafe('SELECT pg_advisory_xact_lock($1)', START_LOCK_ID);
      const running = await tx.experiment.findFirst({ where: { status: 'running' }, select: { id: true, name: true } });
      if (running) throw new InvalidInputError(`experiment "${running.name}" (${running.id}) is running: stop it first`, { field: 'input' });
      const row = await tx.experiment.create({
        data: { id: randomUUID(), name: input.name, share: input.share, armA: input.armA as object, armB: input.armB as object, status: 'running' },
      });
      return toRecord(row);
    }, START_TRANSACTION);
  }

  async stop(id: string): Promise<ExperimentRecord> {
    const found = await this.db.experiment.findUnique({ where: { id } });
    if (!found) throw new NotFoundError('Experiment', id);
    if (found.status !== 'running') return toRecord(found);
    return toRecord(await this.db.experiment.update({ where: { id }, data: { status: 'stopped', stoppedAt: new Date() } }));
  }

  async get(id: string): Promise<ExperimentRecord | null> {
    const row = await this.db.experiment.findUnique({ where: { id } });
    return row ? toRecord(row) : null;
  }

  async running(): Promise<ExperimentRecord | null> {
    const row = await this.db.experiment.findFirst({ where: { status: 'running' }, orderBy: { createdAt: 'desc' } });
    return row ? toRecord(row) : null;
  }

  async list(limit: number): Promise<ExperimentRecord[]> {
    return (await this.db.experiment.findMany({ orderBy: { createdAt: 'desc' }, take: limit })).map(toRecord);
  }
}
