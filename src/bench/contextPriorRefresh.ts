// What one refresh of the context prior costs the process that serves lists: CPU, wall time, and the longest
// the event loop was held, over generated events in a throwaway database (every API and worker process pays
// this every five minutes). Run: npx tsx src/bench/contextPriorRefresh.ts [--events 120000] [--refreshes 4]
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createScratchDeployment } from './scratchDeployment';
import { createGenericPlanPool } from '../db/genericPlanPool';
import { ContextPrior } from '../domain/recommendations/contextPrior';
import { createLogger } from '../logger';
import { median, progress } from './stats';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { events: { type: 'string', default: '120000' }, refreshes: { type: 'string', default: '4' } } });
  const events = Number(values.events);
  const refreshes = Number(values.refreshes);
  const scratch = await createScratchDeployment({ models: ['pop'] });
  const pool = createGenericPlanPool(scratch.databaseUrl, 2);
  try {
    progress(`context prior: ${events.toLocaleString('en')} generated events (3 devices, 4 countries, 3 page types, 3 s apart)`);
    await pool.query(`INSERT INTO users (id) SELECT 'u' || g FROM generate_series(1, 5000) g`);
    await pool.query(
      `INSERT INTO events (event_id, user_id, item_id, type, context, occurred_at)
       SELECT 'e' || g, 'u' || (1 + g % 5000), 'i' || (g * 7919 % 30000), 'VIEW',
         jsonb_build_object('device', (ARRAY['mobile','desktop','tablet'])[1 + g % 3], 'country', (ARRAY['de','fr','us','gb'])[1 + g % 4],
                            'pageType', (ARRAY['home','product','cart'])[1 + g % 3]),
         now() - g * interval '3 seconds'
       FROM generate_series(1, $1::int) g`,
      [events],
    );
    await pool.query('ANALYZE events');
    const prior = new ContextPrior(pool, createLogger('warn'));
    const runs: { cpuMs: number; wallMs: number; maxBlockMs: number }[] = [];
    for (let k = 0; k < refreshes; k++) {
      const loop = monitorEventLoopDelay({ resolution: 1 });
      loop.enable();
      const cpu = process.cpuUsage();
      const t = performance.now();
      await prior.refresh();
      const used = process.cpuUsage(cpu);
      loop.disable();
      runs.push({ cpuMs: (used.user + used.system) / 1000, wallMs: performance.now() - t, maxBlockMs: loop.max / 1e6 });
      progress(`refresh ${k + 1}/${refreshes}: ${runs[k].cpuMs.toFixed(0)} ms CPU, ${runs[k].wallMs.toFixed(0)} ms wall, event loop held up to ${runs[k].maxBlockMs.toFixed(0)} ms`);
    }
    // The first refresh warms the JIT: the summary is over the others.
    const warm = runs.length > 1 ? runs.slice(1) : runs;
    console.log('\n| refreshes (after the first) | CPU per refresh, median | wall, median | longest event-loop hold, median |');
    console.log('|---|---|---|---|');
    console.log(`| ${warm.length} | ${median(warm.map((r) => r.cpuMs)).toFixed(0)} ms | ${median(warm.map((r) => r.wallMs)).toFixed(0)} ms | ${median(warm.map((r) => r.maxBlockMs)).toFixed(0)} ms |`);
  } finally {
    await pool.end();
    await scratch.drop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
