// Tenant ids: the one rule for what a tenant id may be, checked before an id reaches a database name or a Redis prefix.
import { InvalidInputError } from '../../errors';

/** The tenant whose data is the control database itself: every single-shop deployment is this one tenant. */
export const DEFAULT_TENANT = 'default';

// A short lowercase slug: it becomes part of a Postgres database name (63 bytes at most) and of a Redis prefix.
const TENANT_ID = /^[a-z][a-z0-9-]{0,18}[a-z0-9]$/;

export function isTenantId(id: string): boolean {
  return TENANT_ID.test(id);
}

/** The id, or BAD_USER_INPUT naming the rule. */
export function checkTenantId(id: unknown, field = 'id'): string {
  if (typeof id !== 'string' || !isTenantId(id)) {
    throw new InvalidInputError('a tenant id is 2–20 characters: lowercase letters, digits and inner hyphens, starting with a letter', { field });
  }
  return id;
}
