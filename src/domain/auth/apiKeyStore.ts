// API keys issued at run time (admin API or `npm run keys`): stored as SHA-256 hashes in the control database,
// looked up through a short-lived cache, and revoked everywhere at once over pub/sub. A store administers the keys
// of one tenant: it can neither list nor revoke another tenant's.
import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../../db/prismaClient';
import type { RedisPubSub } from '../../pubsub/redisPubSub';
import type { Role } from '../../config';
import { InvalidInputError, NotFoundError } from '../../errors';
import { LIMITS, checkText } from '../inputLimits';
import { DEFAULT_TENANT } from '../tenants/tenantId';

export interface ApiKeyRecord {
  id: string;
  role: Role;
  name: string;
  createdAt: Date;
  revokedAt: Date | null;
  tenantId: string;
}

export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

// A revoked key may keep working this long in a process that missed the pub/sub message.
const CACHE_MS = 30_000;

export class ApiKeyStore {
  private readonly cache = new Map<string, { record: ApiKeyRecord | null; until: number }>();

  constructor(
    /** The control database and its pub/sub, whichever tenant the store is for. */
    private readonly db: Db,
    private readonly pubsub: RedisPubSub | null,
    readonly tenantId: string = DEFAULT_TENANT,
  ) {}

  async start(): Promise<void> {
    await this.pubsub?.on('apikeys:changed', () => this.cache.clear());
  }

  /** Issues a key; the secret is returned once and never stored. */
  async create(role: Role, name: string): Promise<ApiKeyRecord & { key: string }> {
    if (role !== 'client' && role !== 'admin') throw new InvalidInputError('role must be client or admin', { field: 'role' });
    const label = checkText(name, 'name', LIMITS.titleLength)?.trim();
    if (!label) throw new InvalidInputError('name must not be empty', { field: 'name' });
    const id = `key_${randomBytes(6).toString('hex')}`;
    const key = `fr_${role}_${randomBytes(24).toString('base64url')}`;
    const row = await this.db.apiKey.create({ data: { id, keyHash: hashKey(key), role, name: label, tenantId: this.tenantId } });
    return { ...row, role: row.role as Role, key };
  }

  async revoke(id: string): Promise<ApiKeyRecord> {
    const existing = await this.db.apiKey.findUnique({ where: { id } });
    // Another tenant's key is reported exactly like a missing one, so ids cannot be probed across tenants.
    if (!existing || existing.tenantId !== this.tenantId) throw new NotFoundError('API key', id);
    const row = existing.revokedAt ? existing : await this.db.apiKey.update({ where: { id }, data: { revokedAt: new Date() } });
    this.cache.clear();
    await this.pubsub?.publish('apikeys:changed', { id });
    return { ...row, role: row.role as Role };
  }

  async list(): Promise<ApiKeyRecord[]> {
    return (await this.db.apiKey.findMany({ where: { tenantId: this.tenantId }, orderBy: { createdAt: 'desc' } })).map((r) => ({ ...r, role: r.role as Role }));
  }

  /** The live (not revoked) key with this hash, of any tenant (authentication decides the tenant), or null. */
  async findActive(keyHash: string): Promise<ApiKeyRecord | null> {
    const hit = this.cache.get(keyHash);
    if (hit && hit.until > Date.now()) return hit.record;
    const row = await this.db.apiKey.findUnique({ where: { keyHash } });
    const record = row && !row.revokedAt ? { ...row, role: row.role as Role } : null;
    // Unknown keys are cached too, so a flood of guesses does not reach Postgres.
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(keyHash, { record, until: Date.now() + CACHE_MS });
    return record;
  }
}
