// Pseudonymised user ids: when a key is configured, every user id a client sends is replaced, at the API and
// import boundary, by a keyed hash, so Postgres, Redis, logs and model artefacts never hold the shop's own ids.
import { createHmac } from 'node:crypto';
import { checkId } from '../inputLimits';

/** 'u_' + 27 base64url characters: 160 bits of HMAC-SHA256, far beyond any collision risk for a shop's users. */
const PSEUDONYM_CHARS = 27;

export class UserIdPseudonymizer {
  /** `key` null keeps ids as sent (the default); a key, once used, must not change, or histories split. */
  constructor(private readonly key: string | null) {}


  /** The id stored and served for the shop's own `userId`; the same input always gives the same pseudonym. */
  map(userId: string): string {
    if (this.key === null) return userId;
    return `u_${createHmac('sha256', this.key).update(userId).digest('base64url').slice(0, PSEUDONYM_CHARS)}`;
  }

  /** For bulk paths: the mapping, or undefined when ids are kept as sent (so no per-row work is done). */
  get mapper(): ((userId: string) => string) | undefined {
    return this.key === null ? undefined : (userId) => this.map(userId);
  }

  /** Validates a client-sent user id (see checkId), then maps it. */
  check(value: unknown, field: string): string {
    return this.map(checkId(value, field));
  }
}
