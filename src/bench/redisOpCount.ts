// Counts the Redis commands one deployment issues while a piece of work runs, with MONITOR filtered on the
// deployment's key prefix (the Redis is shared). Commands run inside Lua scripts (BullMQ) are counted apart.
import { createRedis } from '../redis/redisConnections';

export interface RedisOpCount {
  /** Commands sent by clients (one round trip each; a script call counts once). */
  commands: number;
  /** Commands executed inside scripts on the server. */
  scriptCommands: number;
  byCommand: Record<string, number>;
}

/**
 * Runs `work` with a MONITOR connection open and counts the commands that name `prefix` in a key or channel.
 * MONITOR slows Redis down, so this is for a short calibration, never for a timed run.
 */
export async function countRedisCommands(redisUrl: string, prefix: string, work: () => Promise<void>): Promise<RedisOpCount> {
  const conn = createRedis(redisUrl, 'bench:monitor');
  const count: RedisOpCount = { commands: 0, scriptCommands: 0, byCommand: {} };
  const monitor = await conn.monitor();
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    if (!args.some((a) => typeof a === 'string' && a.includes(prefix))) return;
    const name = String(args[0]).toLowerCase();
    const inScript = source === 'lua';
    if (inScript) count.scriptCommands++;
    else count.commands++;
    const key = inScript ? `lua:${name}` : name;
    count.byCommand[key] = (count.byCommand[key] ?? 0) + 1;
  });
  try {
    await work();
    // MONITOR lines trail the commands slightly.
    await new Promise((r) => setTimeout(r, 500));
  } finally {
    monitor.disconnect();
    conn.disconnect();
  }
  return count;
}
