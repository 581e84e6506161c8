// `npm run synth -- --out <dir> [--items 55000] [--events 350000] [--users 25000] [--categories 500]`: writes the
// benchmarks' generated shop as events.csv and items.csv in the eval format, for scale runs of `npm run eval`.
import { createWriteStream, mkdirSync } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { syntheticEvents, syntheticItems, type ShopShape } from '../bench/syntheticShop';

const USAGE = `Usage: npm run synth -- --out <dir> [--items 55000] [--events 350000] [--users 25000] [--categories 500]

Writes <dir>/events.csv and <dir>/items.csv (the format of npm run eval and npm run import). The structure is
seeded; timestamps end at the time of generation.`;

const csvField = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

async function write(file: string, header: string, lines: Iterable<string[]> | AsyncIterable<string[]>): Promise<number> {
  const out = createWriteStream(file);
  out.write(`${header}\n`);
  let rows = 0;
  for await (const batch of lines) {
    rows += batch.length;
    if (!out.write(batch.join(''))) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return rows;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      items: { type: 'string', default: '55000' },
      events: { type: 'string', default: '350000' },
      users: { type: 'string', default: '25000' },
      categories: { type: 'string', default: '500' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || !values.out) {
    process.stdout.write(`${USAGE}\n`);
    process.exitCode = values.help ? 0 : 1;
    return;
  }
  const shape: ShopShape = { items: Number(values.items), events: Number(values.events), users: Number(values.users), categories: Number(values.categories) };
  for (const [name, n] of Object.entries(shape)) {
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer`);
  }
  mkdirSync(values.out, { recursive: true });
  const itemsFile = path.join(values.out, 'items.csv');
  const eventsFile = path.join(values.out, 'events.csv');
  const items = await write(
    itemsFile,
    'item_id,title,category,brand,tags,price',
    (function* () {
      for (const batch of syntheticItems(shape)) {
        yield batch.map((i) => `${i.id},${csvField(i.title)},${i.category ?? ''},${i.brand ?? ''},${(i.tags ?? []).join('|')},${i.price ?? ''}\n`);
      }
    })(),
  );
  const events = await write(
    eventsFile,
    'user_id,item_id,timestamp,type,value',
    (async function* () {
      for await (const batch of syntheticEvents(shape)) {
        yield batch.map((e) => `${e.userId},${e.itemId},${(e.occurredAt.getTime() / 1000).toFixed(3)},${e.type},${e.value ?? ''}\n`);
      }
    })(),
  );
  process.stdout.write(`wrote ${items.toLocaleString('en-US')} items to ${itemsFile} and ${events.toLocaleString('en-US')} events to ${eventsFile}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`error: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
