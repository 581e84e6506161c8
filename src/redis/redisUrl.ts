// Sentinel URLs for REDIS_URL: redis+sentinel://[user:password@]host:port[,host:port…]/<master name>[/<db>] names a
// Sentinel-managed master, so a failover needs no restart. Plain redis:// and rediss:// URLs go to ioredis as they are.
import type { RedisOptions } from 'ioredis';

const SENTINEL_PROTOCOLS = ['redis+sentinel:', 'rediss+sentinel:'];

export class RedisUrlError extends Error {}

/** ioredis options for a Sentinel URL; null for any other URL. Throws RedisUrlError for a malformed Sentinel URL. */
export function sentinelOptionsFromUrl(url: string): RedisOptions | null {
  const protocol = /^[a-z+]+:/i.exec(url)?.[0].toLowerCase() ?? '';
  if (!SENTINEL_PROTOCOLS.includes(protocol)) return null;
  // WHATWG URL cannot hold a host list, so the sentinel form is split by hand.
  const rest = url.slice(protocol.length).replace(/^\/\//, '');
  const at = rest.lastIndexOf('@', rest.indexOf('/') === -1 ? rest.length : rest.indexOf('/'));
  const auth = at === -1 ? '' : rest.slice(0, at);
  const [hostList, name, db, ...extra] = rest.slice(at + 1).split('/');
  if (!name || extra.length) throw new RedisUrlError('a Sentinel URL names its master: redis+sentinel://host:port[,host:port]/<master name>[/<db>]');
  const sentinels = hostList.split(',').map((hostPort) => {
    const m = /^([^:]+|\[[^\]]+\]):(\d+)$/.exec(hostPort);
    if (!m) throw new RedisUrlError(`"${hostPort}" is not host:port`);
    return { host: m[1].replace(/^\[|\]$/g, ''), port: Number(m[2]) };
  });
  const [username, password] = auth ? auth.split(':').map(decodeURIComponent) : [];
  const options: RedisOptions = { sentinels, name: decodeURIComponent(name) };
  if (password !== undefined) {
    options.password = password;
    // The usual deployment protects sentinels and data nodes with the same secret.
    options.sentinelPassword = password;
  }
  if (username) options.username = username;
  if (db) options.db = checkDb(db);
  if (protocol === 'rediss+sentinel:') {
    options.tls = {};
    options.enableTLSForSentinelMode = true;
  }
  return options;
}

/** Where a REDIS_URL points, for messages: never its credentials. */
export function redisEndpoint(url: string): string {
  const sentinel = sentinelOptionsFromUrl(url);
  if (sentinel) return `master "${sentinel.name}" of sentinels ${sentinel.sentinels?.map((s) => `${s.host}:${s.port}`).join(',')}`;
  return new URL(url).host;
}

function checkDb(db: string): number {
  const n = Number(db);
  if (!Number.isInteger(n) || n < 0) throw new RedisUrlError(`database "${db}" is not a number`);
  return n;
}
