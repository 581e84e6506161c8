// Search latency comes from the search engineer's own benchmark (src/bench/searchBench.ts), run as a child
// when it exists, so the two never drift apart; its report is quoted as it printed it.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

export interface SearchLatency {
  command: string;
  exitCode: number | null;
  markdown: string;
  /** Read off its report: 'personalised' when half the searches carried a userId. */
  mix: 'anonymous' | 'personalised';
  p99Ms: number | null;
  requestsPerSecond: number | null;
}

export async function runSearchBench(env: Record<string, string>, args: string[], timeoutMs: number): Promise<SearchLatency | null> {
  const root = path.resolve(__dirname, '../..');
  const script = path.join(root, 'src/bench/searchBench.ts');
  if (!existsSync(script)) return null;
  const proc = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: root, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  proc.stdout.on('data', (d) => (stdout += d));
  proc.stderr.on('data', (d) => process.stderr.write(d));
  const timer = setTimeout(() => proc.kill('SIGTERM'), timeoutMs);
  const exitCode = await new Promise<number | null>((resolve) => proc.once('exit', resolve));
  clearTimeout(timer);
  return {
    mix: args.includes('--personal') ? 'personalised' : 'anonymous',
    ...searchFigures(stdout),
    command: `npx tsx src/bench/searchBench.ts ${args.join(' ')}`.trim(),
    exitCode,
    markdown: `From \`npx tsx src/bench/searchBench.ts ${args.join(' ')}\` (its own scratch catalogue; exit ${exitCode}):\n\n\`\`\`\n${stdout.trim()}\n\`\`\``,
  };
}

/** The p99 and throughput searchBench.ts printed ("requests …, 4723 req/s, …", "latency ms: p50 3 … p99 14 …"). */
export function searchFigures(report: string): { p99Ms: number | null; requestsPerSecond: number | null } {
  const p99 = /latency ms: .*p99 (\d+(?:\.\d+)?)/.exec(report);
  const rate = /(\d+) req\/s/.exec(report);
  return { p99Ms: p99 ? Number(p99[1]) : null, requestsPerSecond: rate ? Number(rate[1]) : null };
}
