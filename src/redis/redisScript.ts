// A Lua script run by its SHA1 (EVALSHA), sent whole only when Redis does not know it yet (after a restart or a
// failover): the scripts on the request path then cost a 40-byte hash per call instead of their whole text.
// Not ioredis' defineCommand, which every later multi()/pipeline() on the connection would copy.
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

export class RedisScript {
  private readonly sha: string;

  constructor(private readonly lua: string) {
    this.sha = createHash('sha1').update(lua).digest('hex');
  }

  async run(redis: Redis, keys: string[], args: (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!String((err as Error).message).startsWith('NOSCRIPT')) throw err;
      return redis.eval(this.lua, keys.length, ...keys, ...args);
    }
  }
}
