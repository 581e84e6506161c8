// Resolves the caller's role from an API key and enforces role checks. The environment keys are the
// bootstrap keys of the default tenant; keys issued later live hashed in the control database (apiKeyStore.ts) and
// each belongs to one tenant. A key of an unknown or disabled tenant authenticates nobody.
import { timingSafeEqual, createHash } from 'node:crypto';
import { ForbiddenError, UnauthenticatedError } from '../../errors';
import type { Role } from '../../config';
import type { ApiKeyStore } from './apiKeyStore';
import type { TenantRegistry } from '../tenants/tenantRegistry';
import { DEFAULT_TENANT } from '../tenants/tenantId';

export interface Principal {
  role: Role;
  /** A stable, non-secret id of the key (for rate limits and logs). */
  keyId: string;
  /** The shop the key acts for: every service a request reaches is that tenant's. */
  tenantId: string;
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

export class ApiKeyAuth {
  private readonly bootstrap: { digest: Buffer; role: Role; keyId: string }[];

  constructor(
    keys: { adminApiKey: string; clientApiKey: string },
    private readonly store: ApiKeyStore | null = null,
    private readonly tenants: TenantRegistry | null = null,
  ) {
    this.bootstrap = [
      { digest: digest(keys.adminApiKey), role: 'admin' as const },
      { digest: digest(keys.clientApiKey), role: 'client' as const },
    ].map((k) => ({ ...k, keyId: `env_${k.role}` }));
  }

  /** Accepts "Bearer <key>" or a bare key; returns null for no, unknown or revoked key, or a key of an inactive tenant. */
  async authenticate(header: string | undefined | null): Promise<Principal | null> {
    if (!header) return null;
    const key = header.replace(/^Bearer\s+/i, '').trim();
    if (!key) return null;
    const d = digest(key);
    for (const k of this.bootstrap) if (timingSafeEqual(d, k.digest)) return { role: k.role, keyId: k.keyId, tenantId: DEFAULT_TENANT };
    const issued = await this.store?.findActive(d.toString('hex'));
    if (!issued) return null;
    if (issued.tenantId !== DEFAULT_TENANT && !(await this.tenants?.isActive(issued.tenantId))) return null;
    return { role: issued.role, keyId: issued.id, tenantId: issued.tenantId };
  }
}

export function requireRole(principal: Principal | null, role: Role): Principal {
  if (!principal) throw new UnauthenticatedError();
  if (role === 'admin' && principal.role !== 'admin') throw new ForbiddenError();
  return principal;
}

/** Tenant administration is an operator action: only admin keys of the default tenant may do it. */
export function requireOperator(principal: Principal | null): Principal {
  const p = requireRole(principal, 'admin');
  if (p.tenantId !== DEFAULT_TENANT) throw new ForbiddenError('Managing tenants needs an admin key of the default tenant');
  return p;
}
