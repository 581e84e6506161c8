// `npm run eval -- --events <events.csv> [--items <items.csv>] [--models ...] [--k 10] [--seed 42] [--json out.json]`:
// the offline evaluation anyone can rerun. Fixed leave-last-out protocol, every model through the same library code.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { initBackend } from '../ml/backend';
import { alignItemMeta, loadEventsCsv, loadItemsCsv } from '../ml/evaluation/eventsCsv';
import { evaluateFusionWithComponents, evaluateModel, fitOnSplit, PeakRssSampler, type ModelEvaluation, type SplitFit } from '../ml/evaluation/evaluateModel';
import { leaveLastOutSplit } from '../ml/evaluation/leaveLastOutSplit';
import { assembleFusion, type FusionComponent } from '../ml/fusion/fusedRecommender';
import type { FusionValidationReport } from '../ml/fusion/fusionSelection';
import type { ItemMeta } from '../ml/interactions';
import { createRecommender, isRegistered } from '../ml/models/registry';
import type { ModelKind } from '../ml/recommender';
import { createProgressBar, printTable } from './cliProgress';

const ALL_MODELS: readonly ModelKind[] = ['pop', 'itemknn', 'mf', 'content', 'seq', 'fusion'];
const TENSORFLOW_MODELS: readonly string[] = ['mf', 'seq'];

const USAGE = `Usage: npm run eval -- --events <events.csv> [--items <items.csv>] [--models ${ALL_MODELS.join(',')}]
                        [--k 10] [--seed 42] [--json <out.json>] [--param <model>.<name>=<value> ...]

  --events  user_id,item_id,timestamp[,type,value]; timestamp unix seconds or ISO-8601
  --items   item_id,title[,description,category,brand,tags,price] (tags separated by |)
  --models  comma-separated kinds (default: all). 'fusion' fuses the other listed models
            (or every registered model when it is listed alone).
  --k       cut-off of the ranking metrics (default 10)
  --seed    seed for sampling and initialisation (default 42)
  --json    also write the results as JSON to this path
  --param   overrides a model's hyper-parameter, e.g. --param seq.maxTrainSeconds=900 (repeatable; numbers
            and true/false; names as in the model's params, listed in the JSON output)`;

class UsageError extends Error {}

interface EvalArgs {
  events: string;
  items?: string;
  models: string[];
  k: number;
  seed: number;
  json?: string;
  /** Hyper-parameter overrides per model kind. */
  params: Map<string, Record<string, number | boolean>>;
}

/** `seq.maxTrainSeconds=900` → params of 'seq' gain maxTrainSeconds: 900. */
function readParamOverrides(specs: string[]): Map<string, Record<string, number | boolean>> {
  const out = new Map<string, Record<string, number | boolean>>();
  for (const spec of specs) {
    const m = /^([a-z]+)\.([A-Za-z0-9_]+)=(.+)$/.exec(spec);
    if (!m || !(ALL_MODELS as readonly string[]).includes(m[1])) throw new UsageError(`--param must look like seq.maxTrainSeconds=900, got "${spec}"`);
    const value = m[3] === 'true' ? true : m[3] === 'false' ? false : Number(m[3]);
    if (typeof value === 'number' && !Number.isFinite(value)) throw new UsageError(`--param ${m[1]}.${m[2]}: "${m[3]}" is not a number or true/false`);
    out.set(m[1], { ...out.get(m[1]), [m[2]]: value });
  }
  return out;
}

function readArgs(argv: string[]): EvalArgs | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        events: { type: 'string' },
        items: { type: 'string' },
        models: { type: 'string' },
        k: { type: 'string' },
        seed: { type: 'string' },
        json: { type: 'string' },
        param: { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return 'help';
  if (!values.events) throw new UsageError('--events is required');
  const models = (values.models ?? ALL_MODELS.join(','))
    .split(',')
    .map((m) => m.trim())
    .filter((m) => m.length > 0);
  const unknown = models.filter((m) => !(ALL_MODELS as readonly string[]).includes(m));
  if (unknown.length > 0) throw new UsageError(`unknown model(s): ${unknown.join(', ')}; choose from ${ALL_MODELS.join(', ')}`);
  const k = Number(values.k ?? 10);
  const seed = Number(values.seed ?? 42);
  if (!Number.isInteger(k) || k < 1) throw new UsageError('--k must be a positive integer');
  if (!Number.isInteger(seed)) throw new UsageError('--seed must be an integer');
  const params = readParamOverrides(values.param ?? []);
  return { events: values.events, items: values.items, models, k, seed, json: values.json, params };
}

interface ModelRow {
  name: string;
  /** Null until scored (a fusion member is scored with the fusion), and for a member whose fusion did not run. */
  metrics: ModelEvaluation | null;
  trainSeconds: number;
  peakRssMb: number;
  params?: Record<string, unknown>;
  validation?: FusionValidationReport;
}

async function main(argv: string[]): Promise<number> {
  const args = readArgs(argv);
  if (args === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const bar = createProgressBar();
  const out = (line = '') => process.stdout.write(`${line}\n`);
  const warn = (line: string) => process.stderr.write(`${line}\n`);

  const loadStarted = performance.now();
  const data = await loadEventsCsv(args.events);
  const items: ItemMeta[] | null = args.items ? alignItemMeta(data.itemIds, await loadItemsCsv(args.items)) : null;
  const split = leaveLastOutSplit(data);
  const dataset = { users: data.userIds.length, items: data.itemIds.length, events: data.items.length };
  out(`Protocol: ${split.protocol}`);
  out(
    `Dataset: ${args.events}${args.items ? ` + ${args.items}` : ' (no item metadata)'}: ${dataset.users} users, ${dataset.items} items, ` +
      `${dataset.events} events; ${split.test.users.length} users evaluated; loaded in ${((performance.now() - loadStarted) / 1000).toFixed(1)}s`,
  );
  out(`Metrics @${args.k}, seed ${args.seed}`);
  out();

  const wantFusion = args.models.includes('fusion');
  const listed = args.models.filter((m) => m !== 'fusion');
  const fusionKinds = wantFusion ? (listed.length > 0 ? listed : ALL_MODELS.filter((m) => m !== 'fusion')) : [];
  const toTrain = ALL_MODELS.filter((m) => listed.includes(m) || fusionKinds.includes(m));

  if (toTrain.some((m) => TENSORFLOW_MODELS.includes(m) && isRegistered(m))) {
    const backend = await initBackend({ logger: (_level, message) => warn(message) });
    warn(`TensorFlow.js backend: ${backend.name} (${backend.source})`);
  }

  const rows: ModelRow[] = [];
  const fits = new Map<string, SplitFit>();
  for (const kind of toTrain) {
    if (!isRegistered(kind)) {
      warn(`model '${kind}' is not registered in src/ml/models/registry.ts yet; skipped`);
      continue;
    }
    bar.start(`${kind} fit`);
    let fit: SplitFit;
    try {
      // Tuned parameters (the epochs validation chose) win over the overrides they were found under.
      fit = await fitOnSplit((p) => createRecommender(kind, { ...args.params.get(kind), ...p }), split, items, {
        seed: args.seed,
        keepValidationModel: fusionKinds.includes(kind),
        onProgress: (p) => bar.update(p.fraction, [p.phase, p.epoch !== undefined ? `epoch ${p.epoch}` : '', p.loss !== undefined ? `loss ${p.loss.toFixed(4)}` : ''].filter(Boolean).join(' ')),
      });
    } catch (err) {
      bar.stop();
      warn(`model '${kind}' failed to train and is skipped: ${(err as Error).stack ?? String(err)}`);
      continue;
    }
    bar.stop();
    fits.set(kind, fit);
    if (!listed.includes(kind)) continue;
    const row: ModelRow = { name: kind, metrics: null, trainSeconds: fit.trainSeconds, peakRssMb: fit.peakRssMb, params: fit.params };
    rows.push(row);
    // A fusion member is scored in the fusion's pass, once for both.
    if (fusionKinds.includes(kind)) continue;
    bar.start(`${kind} eval`);
    row.metrics = await evaluateModel(fit.model, split, args.k, { onProgress: (f) => bar.update(f) });
    bar.stop();
  }

  if (wantFusion) {
    const members = fusionKinds.filter((k) => fits.has(k) && fits.get(k)!.validationModel);
    if (members.length === 0) {
      warn('fusion skipped: none of its components trained');
    } else {
      const sampler = new PeakRssSampler().start();
      const started = performance.now();
      const asComponents = (pick: (fit: SplitFit) => FusionComponent['model']): FusionComponent[] =>
        members.map((k) => ({ name: k, model: pick(fits.get(k)!) }));
      bar.start('fusion fit');
      bar.update(0.1, 'validation candidates');
      const fused = assembleFusion(asComponents((f) => f.validationModel!), asComponents((f) => f.model), split.validationTrain, split.validation, {
        seed: args.seed,
      });
      bar.stop();
      const fusionSeconds = (performance.now() - started) / 1000;
      const peakRssMb = Math.max(sampler.stop(), ...members.map((k) => fits.get(k)!.peakRssMb));
      bar.start('fusion and its components eval');
      const evaluation = await evaluateFusionWithComponents(fused, split.testTrain, split.test, args.k, { onProgress: (f) => bar.update(f) });
      bar.stop();
      for (const row of rows) row.metrics ??= evaluation.components.get(row.name) ?? null;
      const metrics = evaluation.fusion;
      const componentSeconds = members.reduce((sum, k) => sum + fits.get(k)!.trainSeconds, 0);
      rows.push({
        name: 'fusion',
        metrics,
        trainSeconds: componentSeconds + fusionSeconds,
        peakRssMb,
        params: { components: members, strategy: fused.strategyName },
        validation: fused.validationReport,
      });
    }
  }

  for (const row of rows) {
    if (row.metrics) continue;
    bar.start(`${row.name} eval`);
    row.metrics = await evaluateModel(fits.get(row.name)!.model, split, args.k, { onProgress: (f) => bar.update(f) });
    bar.stop();
  }
  const scored = rows as (ModelRow & { metrics: ModelEvaluation })[];

  const k = args.k;
  out();
  printTable(
    [
      { title: 'model', value: (r: (typeof scored)[number]) => r.name },
      { title: `HR@${k}`, value: (r) => r.metrics.hitRate },
      { title: `NDCG@${k}`, value: (r) => r.metrics.ndcg },
      { title: `MRR@${k}`, value: (r) => r.metrics.mrr },
      { title: `coverage@${k}`, value: (r) => r.metrics.coverage },
      { title: 'train_seconds', value: (r) => r.trainSeconds, digits: 1 },
      { title: 'score_seconds', value: (r) => r.metrics.scoreSeconds, digits: 1 },
      { title: 'peak_rss_mb', value: (r) => r.peakRssMb, digits: 0 },
    ],
    scored,
  );
  const fusionRow = rows.find((r) => r.name === 'fusion');
  if (fusionRow?.validation) {
    const v = fusionRow.validation;
    const fmt = (o: Record<string, number | undefined>) => Object.entries(o).map(([n, x]) => `${n} ${(x ?? 0).toFixed(4)}`).join(', ');
    out();
    out(`Fusion on held-out validation users (NDCG@10, ${v.holdoutUsers} of ${v.users}): components: ${fmt(v.components)}; strategies: ${fmt(v.strategies)}.`);
    out(
      v.beatsBestComponent
        ? `Chosen strategy '${v.chosen}' beats the best component '${v.bestComponent}' on validation.`
        : `Fusion does not beat its best component '${v.bestComponent}' on validation: a deployment keeps '${v.bestComponent}'.`,
    );
  }

  if (args.json) {
    const models: Record<string, Record<string, unknown>> = {};
    for (const r of scored) {
      models[r.name] = {
        [`HR@${k}`]: r.metrics.hitRate,
        [`NDCG@${k}`]: r.metrics.ndcg,
        [`MRR@${k}`]: r.metrics.mrr,
        [`coverage@${k}`]: r.metrics.coverage,
        train_seconds: r.trainSeconds,
        score_seconds: r.metrics.scoreSeconds,
        peak_rss_mb: r.peakRssMb,
        users: r.metrics.users,
        params: r.params,
        ...(r.validation ? { validation: r.validation } : {}),
      };
    }
    const report = { protocol: split.protocol, dataset, k, seed: args.seed, models };
    writeFileSync(args.json, `${JSON.stringify(report, (_key, value) => (value === Infinity ? 'Infinity' : value), 2)}\n`);
    warn(`wrote ${args.json}`);
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n\n${USAGE}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = 1;
    }
  },
);
