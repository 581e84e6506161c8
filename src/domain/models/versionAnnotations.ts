// Registry facts recorded on a version after it was trained: its tuned params, why it is or is not served
// (the note), and whether it was rolled back. They live in the version's JSON columns (metrics.note,
// metrics.rolledBackAt) because the model_versions table has no column of their own.
import type { Db } from '../../db/prismaClient';

export interface VersionAnnotations {
  note?: string | null;
  rolledBackAt?: string | null;
  [key: string]: unknown;
}

/** Merges `facts` into the version's metrics object (null removes a key). */
export async function annotateVersion(db: Db, id: number, facts: VersionAnnotations): Promise<void> {
  const row = await db.modelVersion.findUnique({ where: { id }, select: { metrics: true } });
  if (!row) return;
  const metrics: Record<string, unknown> = { ...((row.metrics as Record<string, unknown> | null) ?? {}) };
  for (const [key, value] of Object.entries(facts)) {
    if (value === null) delete metrics[key];
    else if (value !== undefined) metrics[key] = value;
  }
  await db.modelVersion.update({ where: { id }, data: { metrics: metrics as object } });
}

/**
 * Records the parameters a model settled on (tuned on validation) in place of the requested ones. JSON has no
 * Infinity, so non-finite numbers are stored as strings ("Infinity"), which the models' numberParam reads back.
 */
export async function recordParams(db: Db, id: number, params: Record<string, unknown>): Promise<void> {
  const storable = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, typeof v === 'number' && !Number.isFinite(v) ? String(v) : v]));
  await db.modelVersion.update({ where: { id }, data: { params: storable as object } });
}

/** The tuned params of the newest usable version of `kind` (preferring `preferredId`), or null when none. */
export async function tunedParamsOf(db: Db, kind: string, preferredId?: number): Promise<Record<string, unknown> | null> {
  const usable = { kind, status: { in: ['ready', 'active', 'retired'] as ('ready' | 'active' | 'retired')[] } };
  const row =
    (preferredId !== undefined ? await db.modelVersion.findFirst({ where: { id: preferredId, ...usable }, select: { params: true } }) : null) ??
    (await db.modelVersion.findFirst({ where: usable, orderBy: { id: 'desc' }, select: { params: true } }));
  const params = row?.params as Record<string, unknown> | null | undefined;
  return params && Object.keys(params).length ? params : null;
}

export function noteOf(metrics: Record<string, unknown> | null): string | null {
  const note = metrics?.note;
  return typeof note === 'string' ? note : null;
}
