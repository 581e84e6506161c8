// Persistence of model versions and their artefacts in Postgres. Artefacts are written before the version
// is marked ready, and at most one version is active at a time (activation is one transaction).
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Pool } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { Db } from '../../db/prismaClient';
import { CopyBinaryRows } from '../../db/copyBinaryRows';
import type { ModelArtifacts } from '../../ml/recommender';
import { handOver } from '../../ml/models/artifactCodec';
import { NotFoundError, InvalidInputError } from '../../errors';

export type ModelStatus = 'training' | 'ready' | 'active' | 'retired' | 'failed';

export interface ModelVersionRecord {
  id: number;
  kind: string;
  status: ModelStatus;
  params: Record<string, unknown>;
  metrics: Record<string, unknown> | null;
  dataWindow: Record<string, unknown> | null;
  trainSeconds: number | null;
  error: string | null;
  createdAt: Date;
  activatedAt: Date | null;
}

function toRecord(row: {
  id: number;
  kind: string;
  status: string;
  params: unknown;
  metrics: unknown;
  dataWindow: unknown;
  trainSeconds: number | null;
  error: string | null;
  createdAt: Date;
  activatedAt: Date | null;
}): ModelVersionRecord {
  return {
    ...row,
    status: row.status as ModelStatus,
    params: (row.params ?? {}) as Record<string, unknown>,
    metrics: (row.metrics ?? null) as Record<string, unknown> | null,
    dataWindow: (row.dataWindow ?? null) as Record<string, unknown> | null,
  };
}

// Bytes of an artefact stream read between two yields to the event loop: well under a millisecond of copying.
const YIELD_BYTES = 512 * 1024;

// Artefacts reach ~100 MiB on large catalogues: Prisma's default 5 s transaction timeout is far too short.
const ARTIFACT_TRANSACTION = { timeout: 120_000, maxWait: 10_000 };

export class ModelVersionStore {
  constructor(
    private readonly db: Db,
    /** Artefacts are read through a plain `pg` connection, streamed (see artifacts()). */
    private readonly artifactPool: Pool,
  ) {}

  async create(kind: string, params: Record<string, unknown>): Promise<ModelVersionRecord> {
    return toRecord(await this.db.modelVersion.create({ data: { kind, params: params as object, status: 'training' } }));
  }

  /** Stores the artefacts and the evaluation, then marks the version ready, in one transaction. */
  async complete(
    id: number,
    artifacts: ModelArtifacts,
    result: { metrics: Record<string, unknown>; dataWindow: Record<string, unknown>; trainSeconds: number },
  ): Promise<ModelVersionRecord> {
    const [, row] = await this.db.$transaction([
      this.db.modelArtifact.createMany({
        data: Object.entries(artifacts).map(([name, data]) => ({ versionId: id, name, data: new Uint8Array(data) as Uint8Array<ArrayBuffer> })),
      }),
      this.db.modelVersion.update({
        where: { id },
        data: { status: 'ready', metrics: result.metrics as object, dataWindow: result.dataWindow as object, trainSeconds: result.trainSeconds },
      }),
    ], ARTIFACT_TRANSACTION);
    return toRecord(row);
  }

  async fail(id: number, error: string): Promise<void> {
    await this.db.modelVersion.update({ where: { id }, data: { status: 'failed', error: error.slice(0, 4000) } });
  }

  /** Makes `id` the one active version; the previously active one becomes retired. */
  async activate(id: number): Promise<ModelVersionRecord> {
    return this.db.$transaction(async (tx) => {
      const target = await tx.modelVersion.findUnique({ where: { id } });
      if (!target) throw new NotFoundError('Model version', String(id));
      if (target.status !== 'ready' && target.status !== 'retired' && target.status !== 'active') {
        throw new InvalidInputError(`Model version ${id} is ${target.status} and cannot be activated`);
      }
      await tx.modelVersion.updateMany({ where: { status: 'active', id: { not: id } }, data: { status: 'retired' } });
      return toRecord(await tx.modelVersion.update({ where: { id }, data: { status: 'active', activatedAt: new Date() } }));
    }, ARTIFACT_TRANSACTION);
  }

  async get(id: number): Promise<ModelVersionRecord | null> {
    const row = await this.db.modelVersion.findUnique({ where: { id } });
    return row ? toRecord(row) : null;
  }

  async active(): Promise<ModelVersionRecord | null> {
    const row = await this.db.modelVersion.findFirst({ where: { status: 'active' }, orderBy: { id: 'desc' } });
    return row ? toRecord(row) : null;
  }

  async list(limit = 50): Promise<ModelVersionRecord[]> {
    return (await this.db.modelVersion.findMany({ orderBy: { id: 'desc' }, take: limit })).map(toRecord);
  }

  /**
   * A version's artefacts, read as a binary COPY stream. A bytea value read as one query result arrives as one hex
   * string decoded in one synchronous step (hundreds of ms for a large item-to-item graph, all of it time a serving
   * process answers nothing); streamed, each network chunk is copied into the artefact's own buffer as it arrives.
   */
  async artifacts(id: number): Promise<ModelArtifacts> {
    // COPY takes no bind parameters: the id is interpolated, so it must be an integer.
    if (!Number.isSafeInteger(id)) throw new InvalidInputError(`Model version id must be an integer, got ${id}`);
    const client = await this.artifactPool.connect();
    const parser = new CopyBinaryRows();
    try {
      const stream = client.query(copyTo(`COPY (SELECT name, data FROM model_artifacts WHERE version_id = ${id}) TO STDOUT (FORMAT binary)`));
      let sinceYield = 0;
      for await (const chunk of stream) {
        parser.push(chunk as Buffer);
        // Chunks already buffered are handed over in microtasks, never returning to the event loop: yield now and
        // then so requests run between them.
        sinceYield += (chunk as Buffer).length;
        if (sinceYield >= YIELD_BYTES) {
          sinceYield = 0;
          await nextTurn();
        }
      }
    } catch (err) {
      // A COPY cut short leaves the connection mid-protocol: it is closed, not returned to the pool.
      client.release(err as Error);
      throw err;
    }
    client.release();
    const decoder = new TextDecoder();
    const artifacts: ModelArtifacts = {};
    for (const [name, data] of parser.end()) {
      if (!name || !data) throw new Error(`model version ${id} has an artefact row with a null name or data`);
      // Each value fills a buffer of its own that nothing else holds: decoding may keep it rather than copy it.
      artifacts[decoder.decode(name)] = handOver(data);
    }
    return artifacts;
  }
}
