// `npm run import -- --events <events.csv> [--items <items.csv>] [--tenant <id>]`: bulk-loads the evaluation CSV format
// into the configured database, or a tenant's (created and migrated first), with a progress bar and a summary table.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Pool } from 'pg';
import { Client } from 'pg';
import { createPgPool } from '../db/pgPool';
import { tenantDatabaseUrl } from '../app/tenantConfig';
import { DEFAULT_TENANT, checkTenantId } from '../domain/tenants/tenantId';
import { loadConfig } from '../config';
import { UserIdPseudonymizer } from '../domain/users/userIdPseudonymizer';
import { createProgressBar, printTable, type ProgressBar, type TableColumn } from './cliProgress';
import { applyMigrations, ensureDatabase } from '../db/migrationRunner';
import { countLines, csvRows, CsvSyntaxError, openCsvFile } from '../io/csvRows';
import {
  CsvHeaderError,
  eventColumns,
  eventRowBatches,
  itemColumns,
  itemRowBatches,
  type RowError,
} from '../domain/import/eventCsvRows';
import { importEvents, importItems, DEFAULT_BATCH_SIZE, DEFAULT_CONCURRENCY, type ImportOptions } from '../domain/import/bulkImporter';

const USAGE = `Usage: npm run import -- --events <events.csv> [--items <items.csv>] [--batch-size <n>] [--concurrency <n>] [--row-by-row] [--tenant <id>]

  --events      user_id,item_id,timestamp[,type,value,event_id]
                timestamp: unix seconds (fractions allowed) or ISO-8601; type defaults to VIEW
  --items       item_id,title[,description,category,brand,tags,price,in_stock]  (tags separated by |)
  --batch-size  rows per transaction, when inserting in batches (default ${DEFAULT_BATCH_SIZE})
  --concurrency event batches written at once, one connection each (default ${DEFAULT_CONCURRENCY})
  --row-by-row  insert events in batches even into an empty events table (no bulk load, no table lock)
  --tenant      load into this tenant's database (npm run tenants -- list; default: the default tenant)

Into an empty events table the events are one bulk load (COPY, then the indexes are rebuilt); other sessions
wait for it to commit (--row-by-row avoids that). Otherwise they are inserted in batches beside live traffic.
Re-running with the same files stores nothing twice. Rows that cannot be read are skipped and listed;
the exit code is then 2 (1 for errors that stop the import).`;

const SHOWN_ROW_ERRORS = 20;

/** An error whose message is the whole story: printed without a stack trace. */
class UsageError extends Error {}

interface Args {
  events?: string;
  items?: string;
  batchSize: number;
  concurrency: number;
  tenant?: string;
  rowByRow: boolean;
}

function readArgs(argv: string[]): Args | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        events: { type: 'string' },
        items: { type: 'string' },
        'batch-size': { type: 'string' },
        concurrency: { type: 'string' },
        tenant: { type: 'string' },
        'row-by-row': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n\n${USAGE}`);
  }
  if (values.help) return 'help';
  if (!values.events && !values.items) throw new UsageError(`Nothing to import: pass --events and/or --items.\n\n${USAGE}`);
  const batchSize = values['batch-size'] === undefined ? DEFAULT_BATCH_SIZE : Number(values['batch-size']);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 100_000) {
    throw new UsageError(`--batch-size must be an integer between 1 and 100000, got "${values['batch-size']}"`);
  }
  const concurrency = values.concurrency === undefined ? DEFAULT_CONCURRENCY : Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 16) {
    throw new UsageError(`--concurrency must be an integer between 1 and 16, got "${values.concurrency}"`);
  }
  let tenant: string | undefined;
  try {
    tenant = values.tenant === undefined ? undefined : checkTenantId(values.tenant, 'tenant');
  } catch (err) {
    throw new UsageError(`--tenant: ${(err as Error).message}`);
  }
  return { events: values.events, items: values.items, batchSize, concurrency, tenant, rowByRow: values['row-by-row'] === true };
}

/** A registered tenant's database URL; refuses an id the control database does not list, so a typo creates nothing. */
async function existingTenantDatabase(controlUrl: string, tenantId: string): Promise<string> {
  await ensureDatabase(controlUrl);
  await applyMigrations(controlUrl);
  const control = new Client({ connectionString: controlUrl });
  await control.connect();
  try {
    const found = await control.query('SELECT 1 FROM tenants WHERE id = $1', [tenantId]);
    if (!found.rowCount) throw new UsageError(`tenant "${tenantId}" does not exist (npm run tenants -- list)`);
  } finally {
    await control.end();
  }
  return tenantDatabaseUrl(controlUrl, tenantId);
}

function checkFile(what: string, file: string): void {
  if (!existsSync(file)) throw new UsageError(`${what} file not found: ${path.resolve(file)}`);
  if (!statSync(file).isFile()) throw new UsageError(`${what} path is not a file: ${path.resolve(file)}`);
}

/** Reads only the header, so a wrong file fails before the database is touched. */
async function checkHeader(file: string, check: (header: string[]) => { ignored: string[] }): Promise<void> {
  const rows = csvRows(openCsvFile(file));
  const first = await inFile(file, () => rows.next());
  await rows.return(undefined);
  if (first.done) throw new UsageError(`${file} is empty`);
  const { ignored } = await inFile(file, async () => check(first.value.fields));
  if (ignored.length) process.stderr.write(`${path.basename(file)}: ignoring unknown column(s) ${ignored.join(', ')}\n`);
}

/** Wires the importer's progress callback to the shared progress bar. */
function withBar(bar: ProgressBar, label: string, total: number): ImportOptions {
  const started = performance.now();
  bar.start(label);
  return {
    total,
    onProgress: ({ done, total: t }) => {
      const rate = Math.round(done / Math.max(1e-3, (performance.now() - started) / 1000));
      bar.update(done / Math.max(1, t), `${done.toLocaleString('en-US')}/${t.toLocaleString('en-US')} rows, ${rate.toLocaleString('en-US')} rows/s`);
    },
  };
}

interface SummaryLine {
  file: string;
  read: number;
  stored: number;
  skipped: number;
  bad: number;
  seconds: number;
}

const SUMMARY_COLUMNS: TableColumn<SummaryLine>[] = [
  { title: 'file', value: (l) => l.file },
  { title: 'rows read', value: (l) => l.read, digits: 0 },
  { title: 'stored', value: (l) => l.stored, digits: 0 },
  { title: 'duplicates skipped', value: (l) => l.skipped, digits: 0 },
  { title: 'bad rows', value: (l) => l.bad, digits: 0 },
  { title: 'seconds', value: (l) => l.seconds, digits: 2 },
  { title: 'rows/s', value: (l) => Math.round(l.read / Math.max(l.seconds, 1e-3)), digits: 0 },
];

function printRowErrors(file: string, count: number, errors: RowError[]): void {
  if (!count) return;
  const name = path.basename(file);
  process.stderr.write(`\n${count.toLocaleString('en-US')} bad row(s) in ${name} were not stored:\n`);
  for (const e of errors.slice(0, SHOWN_ROW_ERRORS)) process.stderr.write(`  ${name}:${e.line}: ${e.reason}\n`);
  if (count > SHOWN_ROW_ERRORS) process.stderr.write(`  … and ${(count - SHOWN_ROW_ERRORS).toLocaleString('en-US')} more\n`);
}

/** Names the file in a parse error, which otherwise only knows its line. */
async function inFile<T>(file: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof CsvSyntaxError || err instanceof CsvHeaderError) err.message = `${file}: ${err.message}`;
    throw err;
  }
}

async function run(argv: string[]): Promise<number> {
  const args = readArgs(argv);
  if (args === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (args.items) checkFile('items', args.items);
  if (args.events) checkFile('events', args.events);
  if (args.items) await checkHeader(args.items, itemColumns);
  if (args.events) await checkHeader(args.events, eventColumns);

  const config = loadConfig();
  const { userIdPseudonymKey } = config;
  const databaseUrl = args.tenant && args.tenant !== DEFAULT_TENANT ? await existingTenantDatabase(config.databaseUrl, args.tenant) : config.databaseUrl;
  const userIds = new UserIdPseudonymizer(userIdPseudonymKey);
  const shownUrl = new URL(databaseUrl);
  shownUrl.password = shownUrl.password ? '***' : '';
  if (await ensureDatabase(databaseUrl)) process.stderr.write(`created database ${shownUrl.pathname.slice(1)}\n`);
  const migrated = await applyMigrations(databaseUrl);
  if (migrated.applied.length) process.stderr.write(`applied migrations: ${migrated.applied.join(', ')}\n`);

  const pool = createPgPool(databaseUrl, args.concurrency);
  const summary: SummaryLine[] = [];
  let badRows = 0;
  let usersCreated: number | null = null;
  let eventsPath = '';
  const bar = createProgressBar();
  /** One file: progress bar while it loads, then its summary line and its bad rows. */
  const load = async (label: string, file: string, work: (opts: ImportOptions) => Promise<Omit<SummaryLine, 'file'> & { errors: RowError[] }>) => {
    // Data rows = lines minus the header.
    const progress = withBar(bar, label, Math.max(0, (await countLines(file)) - 1));
    let s;
    try {
      s = await inFile(file, () => work({ ...progress, batchSize: args.batchSize, concurrency: args.concurrency }));
    } finally {
      bar.stop();
    }
    summary.push({ file: path.basename(file), read: s.read, stored: s.stored, skipped: s.skipped, bad: s.bad, seconds: s.seconds });
    printRowErrors(file, s.bad, s.errors);
    badRows += s.bad;
  };
  try {
    if (args.items) {
      const file = args.items;
      await load('items', file, async (opts) => {
        const s = await importItems(pool, itemRowBatches(openCsvFile(file)), opts);
        return { ...s, stored: s.inserted + s.updated, skipped: s.unchanged };
      });
    }
    if (args.events) {
      const file = args.events;
      await load('events', file, async (opts) => {
        const s = await importEvents(pool, eventRowBatches(openCsvFile(file)), { ...opts, mapUserId: userIds.mapper, initialLoad: !args.rowByRow });
        usersCreated = s.usersCreated;
        eventsPath =
          s.path === 'bulk load'
            ? `events: bulk load into the empty events table (COPY; indexes and foreign key rebuilt after it in ${(s.rebuildSeconds ?? 0).toFixed(2)} s)`
            : 'events: inserted in batches, row by row';
        return { ...s, skipped: s.duplicates };
      });
    }
  } finally {
    await pool.end();
  }
  process.stdout.write(`\nImported into ${shownUrl.host}${shownUrl.pathname}\n`);
  printTable(SUMMARY_COLUMNS, summary);
  if (usersCreated !== null) process.stdout.write(`new users: ${(usersCreated as number).toLocaleString('en-US')}\n${eventsPath}\n`);
  return badRows > 0 ? 2 : 0;
}

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const e = err as Error & { code?: string };
    if (e instanceof UsageError) process.stderr.write(`${e.message}\n`);
    else if (e.code === 'ECONNREFUSED') process.stderr.write(`error: cannot reach Postgres (${e.message}); is it running and is DATABASE_URL right?\n`);
    else if (['CsvHeaderError', 'CsvSyntaxError', 'ConfigError'].includes(e.name)) process.stderr.write(`error: ${e.message}\n`);
    else process.stderr.write(`error: ${e.stack ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
