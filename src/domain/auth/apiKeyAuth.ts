// Resolves the caller's role from an API key and enforces role checks. The environment keys are the
// bootstrap keys; keys issued later live hashed in Postgres (apiKeyStore.ts).
import { timingSafeEqual, createHash } from 'node:crypto';
import { ForbiddenError, UnauthenticatedError } from '../../errors';
import type { Role } from '../../config';
import type { ApiKeyStore } from './apiKeyStore';

export interface Principal {
  role: Role;
  /** A stable, non-secret id of the key (for rate limits and logs). */
  keyId: string;
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

export class ApiKeyAuth {
  private readonly bootstrap: { digest: Buffer; role: Role; keyId: string }[];

  constructor(
    keys: { adminApiKey: string; clientApiKey: string },
    private readonly store: ApiKeyStore | null = null,
  ) {
    this.bootstrap = [
      { digest: digest(keys.adminApiKey), role: 'admin' as const },
      { digest: digest(keys.clientApiKey), role: 'client' as const },
    ].map((k) => ({ ...k, keyId: `env_${k.role}` }));
  }

  /** Accepts "Bearer <key>" or a bare key; returns null for no, unknown or revoked key. */
  async authenticate(header: string | undefined | null): Promise<Principal | null> {
    if (!header) return null;
    const key = header.replace(/^Bearer\s+/i, '').trim();
    if (!key) return null;
    const d = digest(key);
    for (const k of this.bootstrap) if (timingSafeEqual(d, k.digest)) return { role: k.role, keyId: k.keyId };
    const issued = await this.store?.findActive(d.toString('hex'));
    return issued ? { role: issued.role, keyId: issued.id } : null;
  }
}

export function requireRole(principal: Principal | null, role: Role): Principal {
  if (!principal) throw new UnauthenticatedError();
  if (role === 'admin' && principal.role !== 'admin') throw new ForbiddenError();
  return principal;
}
