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

  async run(redis: Redis, keys: string[], args: ScriptArg[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!String((err as Error).message).startsWith('NOSCRIPT')) throw err;
      return redis.eval(this.lua, keys.length, ...keys, ...args);
    }
  }

  /**
   * Runs the script once per call in one pipeline (one round trip for a whole batch); results in call order.
   * A call that fails with anything but NOSCRIPT rejects the whole batch.
   */
  async runMany(redis: Redis, calls: { keys: string[]; args: ScriptArg[] }[]): Promise<unknown[]> {
    if (!calls.length) return [];
    const send = async (indices: number[], byText: boolean) => {
      const p = redis.pipeline();
      for (const i of indices) {
        const { keys, args } = calls[i];
        if (byText) p.eval(this.lua, keys.length, ...keys, ...args);
        else p.evalsha(this.sha, keys.length, ...keys, ...args);
      }
      return (await p.exec()) ?? [];
    };
    const all = calls.map((_, i) => i);
    const results: unknown[] = new Array(calls.length);
    const missing: number[] = [];
    (await send(all, false)).forEach(([err, value], k) => {
      if (err && String(err.message).startsWith('NOSCRIPT')) missing.push(k);
      else if (err) throw err;
      else results[k] = value;
    });
    // A call that met NOSCRIPT never ran, so sending it again by text runs it exactly once.
    if (missing.length) {
      (await send(missing, true)).forEach(([err, value], k) => {
        if (err) throw err;
        results[missing[k]] = value;
      });
    }
    return results;
  }
}

export type ScriptArg = string | number | Buffer;
