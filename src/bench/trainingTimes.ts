// Training time per model and per epoch, read from the progress a real retrain job publishes while a worker
// process runs it; and, for the per-phase table of each model alone, the retraining engineer's
// src/cli/benchRetrain.ts run as a child (reused, not rewritten).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createRedis, KeySpace } from '../redis/redisConnections';
import { RetrainProducer } from '../jobs/queues';
import { progress } from './stats';
import { RedisPubSub } from '../pubsub/redisPubSub';
import type { TrainingJobChanged } from '../pubsub/topics';

export interface ModelTrainingTime {
  model: string;
  fitSeconds: number;
  evaluateSeconds: number;
  saveSeconds: number;
  epochs: number | null;
  /** Median wall time of one epoch, for models trained in epochs. */
  secondsPerEpoch: number | null;
}

export interface TrainingTimes {
  jobId: string;
  status: string;
  seconds: number;
  outcome: string;
  phases: { phase: string; seconds: number }[];
  models: ModelTrainingTime[];
}

interface Mark {
  phase: string;
  epoch: number | null;
  at: number;
}

function medianOf(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function summarise(jobId: string, marks: Mark[], final: TrainingJobChanged): TrainingTimes {
  const phases: { phase: string; seconds: number }[] = [];
  const phaseStarts = marks.filter((m, k) => k === 0 || marks[k - 1].phase !== m.phase);
  phaseStarts.forEach((m, k) => {
    const end = k + 1 < phaseStarts.length ? phaseStarts[k + 1].at : final.at;
    phases.push({ phase: m.phase, seconds: (end - m.at) / 1000 });
  });
  const secondsOf = (phase: string) => phases.filter((p) => p.phase === phase).reduce((a, p) => a + p.seconds, 0);
  const models = [...new Set(phases.flatMap((p) => /^training (\S+)/.exec(p.phase)?.[1] ?? []))].map((model) => {
    // Each epoch is reported as it ends; the first one is timed from the start of the phase.
    const inPhase = marks.filter((m) => m.phase === `training ${model}`);
    const ends = new Map<number, number>();
    for (const m of inPhase) if (m.epoch !== null && !ends.has(m.epoch)) ends.set(m.epoch, m.at);
    const times = [...ends.entries()].sort((a, b) => a[0] - b[0]);
    const durations = times.map(([, at], k) => (at - (k === 0 ? inPhase[0].at : times[k - 1][1])) / 1000);
    return {
      model,
      fitSeconds: secondsOf(`training ${model}`),
      evaluateSeconds: secondsOf(`evaluating ${model}`),
      saveSeconds: secondsOf(`saving ${model}`),
      epochs: durations.length || null,
      secondsPerEpoch: durations.length ? medianOf(durations) : null,
    };
  });
  const metrics = final.metrics ?? {};
  return {
    jobId,
    status: final.status,
    seconds: marks.length ? (final.at - marks[0].at) / 1000 : 0,
    outcome: final.status === 'failed' ? `failed: ${final.error}` : `version ${final.servedVersion}, held-out NDCG@10 ${Number(metrics.ndcg ?? NaN).toFixed(4)}`,
    phases,
    models,
  };
}

/**
 * Subscribes to a retrain job's published state before it starts (call this before starting the worker
 * that will run it); `done` resolves with its timings once it completed or failed.
 */
export async function followTrainingJob(
  redisUrl: string,
  prefix: string,
  jobId: string,
  onPhase: (phase: string) => void = () => undefined,
): Promise<{ done: Promise<TrainingTimes>; partial(status: string): TrainingTimes; close(): Promise<void> }> {
  const publisher = createRedis(redisUrl, 'bench:training-pub');
  const subscriber = createRedis(redisUrl, 'bench:training-sub');
  const pubsub = new RedisPubSub(publisher, subscriber, new KeySpace(prefix));
  const marks: Mark[] = [];
  let resolveDone!: (t: TrainingTimes) => void;
  const done = new Promise<TrainingTimes>((r) => (resolveDone = r));
  await pubsub.on(
    'training:job',
    (v) => {
      if (v.phase && v.status === 'running') {
        if (marks[marks.length - 1]?.phase !== v.phase) onPhase(v.phase);
        marks.push({ phase: v.phase, epoch: v.epoch, at: v.at });
      }
      if (v.status === 'completed' || v.status === 'failed') resolveDone(summarise(jobId, marks, v));
    },
    jobId,
  );
  return {
    done,
    partial(status) {
      const last = marks[marks.length - 1];
      const now: TrainingJobChanged = {
        id: jobId, status: 'running', progress: 0, phase: last?.phase ?? null, epoch: last?.epoch ?? null, loss: null, metrics: null,
        error: null, attempts: 1, models: [], servedVersion: null, createdAt: null, at: Date.now(),
      };
      return { ...summarise(jobId, marks, now), status, outcome: status };
    },
    async close() {
      await pubsub.close();
      publisher.disconnect();
      subscriber.disconnect();
    },
  };
}

/**
 * Queues a retrain of `models` (keeping the active version's other components) for the running worker
 * processes and follows it; past `timeoutMs` it resolves with the epochs seen so far (status 'timed out').
 */
export async function timeRetrain(redisUrl: string, prefix: string, models: string[], timeoutMs: number): Promise<TrainingTimes> {
  const jobId = `bench-epochs-${models.join('-')}-${Date.now()}`;
  const follower = await followTrainingJob(redisUrl, prefix, jobId, (phase) => progress(`training: ${phase}`));
  const conn = createRedis(redisUrl, 'bench:retrain-producer');
  const producer = new RetrainProducer(conn, prefix, { attempts: 1, backoffMs: 0 });
  let timer: NodeJS.Timeout | undefined;
  try {
    await producer.queue.add('retrain', { models, full: false, requestedBy: 'admin' }, { jobId });
    const timedOut = new Promise<TrainingTimes>((resolve) => {
      timer = setTimeout(() => resolve(follower.partial('timed out')), timeoutMs);
    });
    return await Promise.race([follower.done, timedOut]);
  } finally {
    clearTimeout(timer);
    await follower.close();
    await producer.close();
    conn.disconnect();
  }
}

export interface RetrainBenchOutput {
  command: string;
  /** benchRetrain's own Markdown report (machine line and per-model table), verbatim. */
  report: string;
  exitCode: number | null;
}

/** Runs src/cli/benchRetrain.ts, when it exists, with the same data size; null when it is not there. */
export async function runRetrainBench(args: { events: number; items: number; models: string[]; timeoutMs: number; env: Record<string, string> }): Promise<RetrainBenchOutput | null> {
  const root = path.resolve(__dirname, '../..');
  const script = path.join(root, 'src/cli/benchRetrain.ts');
  if (!existsSync(script)) return null;
  const argv = ['--events', String(args.events), '--items', String(args.items), '--models', args.models.join(',')];
  const proc = spawn(process.execPath, ['--import', 'tsx', script, ...argv], { cwd: root, env: { PATH: process.env.PATH ?? '', ...args.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  proc.stdout.on('data', (d) => (stdout += d));
  proc.stderr.on('data', (d) => process.stderr.write(d));
  const timer = setTimeout(() => proc.kill('SIGTERM'), args.timeoutMs);
  const exitCode = await new Promise<number | null>((resolve) => proc.once('exit', resolve));
  clearTimeout(timer);
  return { command: `npx tsx src/cli/benchRetrain.ts ${argv.join(' ')}`, report: stdout.trim(), exitCode };
}

/** Bytes of the newest stored artefacts of each model kind (the fusion version stores only its weights). */
export async function artefactBytesByKind(pool: { query: <R>(sql: string) => Promise<{ rows: R[] }> }): Promise<Record<string, number>> {
  const res = await pool.query<{ kind: string; bytes: string }>(
    `SELECT DISTINCT ON (v.kind) v.kind, (SELECT coalesce(sum(octet_length(a.data)), 0) FROM model_artifacts a WHERE a.version_id = v.id)::text AS bytes
     FROM model_versions v WHERE v.status IN ('active', 'ready') ORDER BY v.kind, v.id DESC`,
  );
  return Object.fromEntries(res.rows.map((r) => [r.kind, Number(r.bytes)]));
}
