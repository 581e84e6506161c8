// `npx tsx src/bench/searchProfile.ts --database <url of a kept searchBench database> [--distinct 5000]`: the
// Postgres side of search alone. Runs each distinct query of the bench mix through TextMatcher on one connection
// (no cache, no HTTP) and prints the time per query kind and answering pass, so the costly ones stand out.
import { parseArgs } from 'node:util';
import { applyMigrations } from '../db/migrationRunner';
import { createRng } from '../ml/random';
import { TextMatcher } from '../domain/search/textMatch';
import { createGenericPlanPool } from '../db/genericPlanPool';
import { generateQuery } from './searchMix';

function quantile(sorted: number[], q: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : 0;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { database: { type: 'string' }, distinct: { type: 'string', default: '5000' }, rounds: { type: 'string', default: '2' } } });
  if (!values.database) throw new Error('--database is required (keep one with searchBench --keep)');
  await applyMigrations(values.database);
  const pool = createGenericPlanPool(values.database, 1);
  const matcher = new TextMatcher(pool);
  const rng = createRng(7);
  const queries = Array.from({ length: Number(values.distinct) }, () => generateQuery(rng));
  const unique = [...new Map(queries.map((q) => [JSON.stringify([q.text, q.filter ?? null]), q])).values()];
  const times = new Map<string, number[]>();
  // The first round warms the buffer cache and the connection's prepared statements; the last is reported.
  for (let round = 0; round < Number(values.rounds); round++) {
    times.clear();
    for (const q of unique) {
      const t = process.hrtime.bigint();
      const m = await matcher.match(q.text, q.filter ? { maxPrice: q.filter.maxPrice as number } : null, 20, []);
      const ms = Number(process.hrtime.bigint() - t) / 1e6;
      const pass = !m.fuzzy ? (m.total ? '' : ' (nothing)') : m.correctedQuery ? ' (corrected)' : ' (similar titles)';
      const kind = `${q.kind}${pass}`;
      times.set(kind, [...(times.get(kind) ?? []), ms]);
    }
  }
  const all = [...times.values()].flat().sort((a, b) => a - b);
  console.log(`${unique.length} distinct queries, ms per query: p50 ${quantile(all, 0.5).toFixed(2)} p90 ${quantile(all, 0.9).toFixed(2)} p99 ${quantile(all, 0.99).toFixed(2)} max ${all[all.length - 1].toFixed(2)}`);
  for (const [kind, ts] of [...times].sort((a, b) => a[0].localeCompare(b[0]))) {
    const s = ts.sort((a, b) => a - b);
    const mean = s.reduce((a, b) => a + b, 0) / s.length;
    console.log(`${kind.padEnd(34)} n ${String(s.length).padStart(5)}  mean ${mean.toFixed(2)}  p50 ${quantile(s, 0.5).toFixed(2)}  p90 ${quantile(s, 0.9).toFixed(2)}  max ${s[s.length - 1].toFixed(2)}`);
  }
  await pool.end();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
