// Command line of `npm run bench`: the data set, the scale preset, and the knobs of each measurement.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { SCALES, type ShopShape } from './syntheticShop';

export const PHASES = ['recommendations', 'ingestion', 'push', 'costs', 'epochs', 'topk', 'ann', 'lists', 'search', 'retrain-bench'] as const;
export type Phase = (typeof PHASES)[number];
/** Phases that run in the bench process itself, with no deployment. */
export const MICRO_PHASES: readonly Phase[] = ['topk', 'ann', 'lists'];

export interface BenchArgs {
  events?: string;
  items?: string;
  scale: 'full' | 'small';
  shape: ShopShape;
  models: string[] | null;
  json?: string;
  docs: string | null;
  connections: number[];
  seconds: number;
  repeats: number;
  ingestConnections: number;
  pushRate: number;
  pushSeconds: number;
  pushUsers: number;
  /** A second, gentle event rate, to show the event path's latency when the cores are not saturated. */
  calmRate: number;
  calmSeconds: number;
  trafficUsers: number;
  /** Models retrained at the end (kept components unchanged) to time their epochs in the worker. */
  epochModels: string[];
  skip: Set<Phase>;
  /** Only in-process micro-benchmarks asked for (--only topk,ann,lists): no deployment, data or system is started. */
  microOnly: boolean;
  /** Re-render the docs section from a JSON file of an earlier run instead of measuring. */
  renderFrom?: string;
  /** Directory the API and worker processes write V8 CPU profiles to (on graceful exit). */
  cpuProfileDir?: string;
  /** CSV file of every timed push of the bar-rate event→push run (when sent, published, delivered). */
  pushTrace?: string;
  /** Settings for the API and worker processes beyond the scratch deployment's (e.g. WORKER_NICE=0). */
  childEnv: Record<string, string>;
}

export const USAGE = `Usage: npm run bench -- [options]

  --events <events.csv> [--items <items.csv>]   benchmark on a data set (default: a generated shop)
  --scale full|small      generated shop: full = 100,000 items / 1,000,000 events (default), small = 10,000 / 100,000
  --models pop,itemknn    models trained and served (default: DEFAULT_MODELS)
  --json <out.json>       also write every figure as JSON
  --docs <file>           Markdown file whose bench section is regenerated (default docs/benchmarks.md; --no-docs to skip)
  --connections 1,16,64   concurrent clients of the recommendations runs
  --seconds 10            length of each closed-loop HTTP run
  --repeats 3             runs per setting (medians are quoted)
  --ingest-connections 16 clients of the ingestion runs
  --push-rate 500 --push-seconds 60 --push-users 1000   the event→push run (the issue's bar)
  --calm-rate 50 --calm-seconds 30                     the same at a rate a small machine is not saturated by
  --epoch-models mf       models retrained at the end to time their epochs (TensorFlow.js models train in epochs)
  --skip <phases>         comma-separated: ${PHASES.join(', ')}
  --only <phases>         run these phases alone; --only topk,ann,lists runs the in-process micro-benchmarks (top-K,
                          ANN, a pushed list's computation) in a few minutes, without a deployment, and regenerates
                          their own docs section
  --render-from <out.json>  only rewrite the docs section from an earlier run's JSON
  --cpu-prof <dir>        the API and worker processes write V8 CPU profiles (.cpuprofile) there when they stop
  --push-trace <file.csv> every timed push of the bar-rate event→push run: user, sent, acknowledged, published, delivered (ms)
  --env KEY=VALUE         a setting for the API and worker processes (repeatable), e.g. --env WORKER_NICE=0
`;

export class UsageError extends Error {}

function positive(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} must be a positive number, got "${raw}"`);
  return n;
}

export function parseBenchArgs(argv: string[]): BenchArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      events: { type: 'string' },
      items: { type: 'string' },
      scale: { type: 'string', default: 'full' },
      models: { type: 'string' },
      json: { type: 'string' },
      docs: { type: 'string', default: 'docs/benchmarks.md' },
      'no-docs': { type: 'boolean', default: false },
      connections: { type: 'string', default: '1,16,64' },
      seconds: { type: 'string' },
      repeats: { type: 'string' },
      'ingest-connections': { type: 'string' },
      'push-rate': { type: 'string' },
      'push-seconds': { type: 'string' },
      'push-users': { type: 'string' },
      'calm-rate': { type: 'string' },
      'calm-seconds': { type: 'string' },
      skip: { type: 'string', default: '' },
      only: { type: 'string' },
      'render-from': { type: 'string' },
      'epoch-models': { type: 'string', default: 'mf' },
      'cpu-prof': { type: 'string' },
      'push-trace': { type: 'string' },
      env: { type: 'string', multiple: true, default: [] },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) throw new UsageError(USAGE);
  if (values.items && !values.events) throw new UsageError(`--items needs --events.\n\n${USAGE}`);
  const scale = values.scale as string;
  if (scale !== 'full' && scale !== 'small') throw new UsageError(`--scale must be full or small, got "${scale}"`);
  const phaseList = (flag: string, raw: string) => {
    const list = raw.split(',').map((s) => s.trim()).filter(Boolean);
    const unknown = list.filter((s) => !(PHASES as readonly string[]).includes(s));
    if (unknown.length) throw new UsageError(`--${flag}: unknown phase ${unknown.join(', ')}; phases: ${PHASES.join(', ')}`);
    return list as Phase[];
  };
  const only = values.only === undefined ? null : phaseList('only', values.only);
  if (only && values.skip) throw new UsageError(`--only and --skip exclude each other.\n\n${USAGE}`);
  const skip = only ? PHASES.filter((p) => !only.includes(p)) : phaseList('skip', values.skip);
  const microOnly = only !== null && only.length > 0 && only.every((p) => MICRO_PHASES.includes(p));
  const connections = values.connections.split(',').map((c) => positive('connections', c, 1));
  const shape = SCALES[scale];
  return {
    events: values.events,
    items: values.items,
    scale,
    shape,
    models: values.models ? values.models.split(',').map((m) => m.trim()).filter(Boolean) : null,
    json: values.json,
    docs: values['no-docs'] ? null : values.docs,
    connections,
    seconds: positive('seconds', values.seconds, 10),
    repeats: Math.round(positive('repeats', values.repeats, 3)),
    ingestConnections: Math.round(positive('ingest-connections', values['ingest-connections'], 16)),
    pushRate: positive('push-rate', values['push-rate'], 500),
    pushSeconds: positive('push-seconds', values['push-seconds'], 60),
    pushUsers: Math.round(positive('push-users', values['push-users'], scale === 'full' ? 1000 : 500)),
    calmRate: positive('calm-rate', values['calm-rate'], 50),
    calmSeconds: positive('calm-seconds', values['calm-seconds'], 30),
    trafficUsers: Math.min(shape.users, 20_000),
    epochModels: values['epoch-models'].split(',').map((m) => m.trim()).filter(Boolean),
    skip: new Set(skip),
    microOnly,
    renderFrom: values['render-from'],
    cpuProfileDir: values['cpu-prof'] ? path.resolve(values['cpu-prof']) : undefined,
    pushTrace: values['push-trace'],
    childEnv: Object.fromEntries(
      values.env.map((kv) => {
        const at = kv.indexOf('=');
        if (at < 1) throw new UsageError(`--env takes KEY=VALUE, got "${kv}"`);
        return [kv.slice(0, at), kv.slice(at + 1)];
      }),
    ),
  };
}
