// An open-loop probe of `recommendations` latency in a child process of its own, so a busy caller (a retrain
// running in the bench process) cannot delay the probe and pass its own stalls off as the server's.
// Run as a script it prints one line per answer: "<epoch ms when sent> <latency ms> <1 ok | 0 failed> [why it failed]".
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { createInterface } from 'node:readline';
import { percentile } from './stats';

const QUERY = 'query($u: ID!) { recommendations(userId: $u, limit: 10) { recommId items { item { id } } } }';

export interface ProbeWindow {
  sent: number;
  failed: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Failed answers counted by why: `HTTP <status>`, the first GraphQL error's code or message, or the socket error. */
  failures: Record<string, number>;
}

/** Parent side: starts the probe, keeps every answer, and summarises any time window of them. */
export class QueryProbe {
  private readonly answers: { at: number; ms: number; ok: boolean; why?: string }[] = [];
  private readonly child: ChildProcess;

  constructor(opts: { url: string; clientKey: string; rate: number; users: number; userId: (k: number) => string }) {
    const users = Array.from({ length: opts.users }, (_, k) => opts.userId(k));
    this.child = spawn(process.execPath, ['--import', 'tsx', __filename, opts.url, opts.clientKey, String(opts.rate)], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    this.child.stdin?.end(users.join('\n'));
    createInterface({ input: this.child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      const [at, ms, ok, ...why] = line.split(' ');
      this.answers.push({ at: Number(at), ms: Number(ms), ok: ok === '1', why: why.join(' ') || undefined });
    });
  }

  /** Queries sent between `from` and `to` (epoch ms); latencies of the answered ones. */
  window(from: number, to: number): ProbeWindow {
    const inside = this.answers.filter((a) => a.at >= from && a.at < to);
    const ms = inside.filter((a) => a.ok).map((a) => a.ms);
    const failures: Record<string, number> = {};
    for (const a of inside) if (!a.ok) failures[a.why ?? 'unknown'] = (failures[a.why ?? 'unknown'] ?? 0) + 1;
    return { sent: inside.length, failed: inside.length - ms.length, p50Ms: percentile(ms, 50), p99Ms: percentile(ms, 99), maxMs: Math.max(...ms), failures };
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      if (this.child.exitCode !== null) return resolve();
      this.child.once('exit', () => resolve());
      this.child.kill('SIGTERM');
    });
  }
}

/** The first GraphQL error of an answer, by its code when it has one. */
function graphqlError(body: string): string {
  try {
    const first = (JSON.parse(body) as { errors?: { message?: string; extensions?: { code?: string } }[] }).errors?.[0];
    return first?.extensions?.code ? `${first.extensions.code}: ${first.message ?? ''}` : (first?.message ?? 'GraphQL error');
  } catch {
    return 'GraphQL error (unparsable answer)';
  }
}

/** Child side: `rate` queries per second for shoppers read from stdin (one id per line), until SIGTERM. */
async function runProbe(url: URL, clientKey: string, rate: number): Promise<void> {
  let input = '';
  for await (const chunk of process.stdin) input += chunk;
  const users = input.split('\n').filter(Boolean);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${clientKey}` };
  const send = (userId: string) => {
    const at = Date.now();
    const started = performance.now();
    const body = JSON.stringify({ query: QUERY, variables: { u: userId } });
    const report = (ok: boolean, why = '') => process.stdout.write(`${at} ${(performance.now() - started).toFixed(2)} ${ok ? 1 : 0}${ok ? '' : ` ${why.replace(/\s+/g, ' ').slice(0, 120)}`}\n`);
    const req = http.request({ agent, host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (data += c));
      res.on('end', () => {
        if (res.statusCode !== 200) return report(false, `HTTP ${res.statusCode}`);
        if (!data.includes('"errors"')) return report(true);
        report(false, graphqlError(data));
      });
    });
    req.setTimeout(30_000, () => req.destroy(new Error('timeout')));
    req.on('error', (err) => report(false, err.message));
    req.end(body);
  };
  // Open loop: the next query leaves on time whatever the last one's fate, as shoppers' do.
  const started = performance.now();
  let sent = 0;
  const timer = setInterval(() => {
    const due = Math.floor(((performance.now() - started) / 1000) * rate);
    for (; sent < due; sent++) send(users[(sent * 7919) % users.length]);
  }, 5);
  process.once('SIGTERM', () => {
    clearInterval(timer);
    // Answers still in flight are dropped: the parent only reads windows that closed before it stopped us.
    process.exit(0);
  });
}

if (require.main === module) {
  const [url, key, rate] = process.argv.slice(2);
  void runProbe(new URL(url), key, Number(rate));
}
