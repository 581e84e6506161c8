// Turns the evaluation CSV format (events.csv, items.csv) into typed rows for the bulk importer.
// A bad row becomes a RowError naming its line and reason, so an import can count and report it instead of storing it.
import { EVENT_TYPES, type EventTypeName } from '../../ml/interactions';
import { csvRowBatches, type CsvRow, type CsvSource } from '../../io/csvRows';

/** One behaviour event as the importer stores it. */
export interface EventRow {
  /** Idempotency key; when absent the importer derives one from the row's content. */
  eventId?: string;
  userId: string;
  /** Null only for SEARCH events, which need not name an item. */
  itemId: string | null;
  type: EventTypeName;
  value: number | null;
  occurredAt: Date;
  /** Source line, for error reports. */
  line?: number;
}

/**
 * One catalogue item. For the optional fields `undefined` means "not provided" (an upsert leaves the
 * stored value alone) while `null` means "clear it".
 */
export interface ItemRow {
  id: string;
  title: string;
  description?: string | null;
  category?: string | null;
  brand?: string | null;
  tags?: string[];
  price?: number | null;
  inStock?: boolean;
  line?: number;
}

export interface RowError {
  line: number;
  reason: string;
}

export function isRowError<T extends object>(x: T | RowError): x is RowError {
  return (x as RowError).reason !== undefined;
}

/** The file cannot be read as this format at all (as opposed to one bad row). */
export class CsvHeaderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CsvHeaderError';
  }
}

const EVENT_REQUIRED = ['user_id', 'item_id', 'timestamp'] as const;
const EVENT_OPTIONAL = ['type', 'value', 'event_id'] as const;
const ITEM_REQUIRED = ['item_id', 'title'] as const;
const ITEM_OPTIONAL = ['description', 'category', 'brand', 'tags', 'price', 'in_stock'] as const;

const MAX_ID_LENGTH = 512;
// Year 10000: a unix-seconds value beyond it is almost surely milliseconds.
const MAX_UNIX_SECONDS = 253402300800;
const NUMERIC = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const ISO_8601 = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;
const EVENT_TYPE_SET: ReadonlySet<string> = new Set(EVENT_TYPES);

type ColumnIndex<K extends string> = Record<K, number>;

/** Maps column names to positions; throws CsvHeaderError naming what is missing or repeated. */
function indexHeader<R extends string, O extends string>(
  what: string,
  header: string[],
  required: readonly R[],
  optional: readonly O[],
): { columns: ColumnIndex<R | O>; ignored: string[] } {
  const names = header.map((h) => h.trim().toLowerCase());
  const columns = {} as ColumnIndex<R | O>;
  for (const name of [...required, ...optional]) columns[name] = -1;
  const ignored: string[] = [];
  names.forEach((name, k) => {
    if (!(name in columns)) {
      ignored.push(header[k]);
      return;
    }
    if (columns[name as R | O] >= 0) throw new CsvHeaderError(`${what}: column "${name}" appears twice in the header`);
    columns[name as R | O] = k;
  });
  const missing = required.filter((r) => columns[r] < 0);
  if (missing.length) {
    throw new CsvHeaderError(
      `${what}: header lacks required column${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')} ` +
        `(found: ${header.join(',') || 'nothing'}; expected ${required.join(',')} plus optional ${optional.join(',')})`,
    );
  }
  return { columns, ignored };
}

/** Unix seconds (fractional allowed) or ISO-8601; an ISO time without offset is read as UTC. */
export function parseTimestamp(raw: string): Date | string {
  const s = raw.trim();
  if (s === '') return 'timestamp is empty';
  if (NUMERIC.test(s)) {
    const seconds = Number(s);
    if (Math.abs(seconds) >= MAX_UNIX_SECONDS) {
      return `timestamp ${s} is out of range for unix seconds (milliseconds? divide by 1000)`;
    }
    return new Date(Math.round(seconds * 1000));
  }
  const m = ISO_8601.exec(s);
  if (!m) return `timestamp "${s}" is neither unix seconds nor ISO-8601`;
  const [, date, time, zone] = m;
  // Date.parse rolls 2024-02-30 over to March 1st; a round trip of the calendar date catches it.
  const day = Date.parse(`${date}T00:00:00Z`);
  if (Number.isNaN(day) || new Date(day).toISOString().slice(0, 10) !== date) return `timestamp "${s}" is not a valid date`;
  let normalised = date;
  if (time) {
    let offset = zone ? zone.toUpperCase() : 'Z';
    if (/^[+-]\d{2}$/.test(offset)) offset += ':00';
    else if (/^[+-]\d{4}$/.test(offset)) offset = `${offset.slice(0, 3)}:${offset.slice(3)}`;
    normalised = `${date}T${time}${offset}`;
  }
  const ms = Date.parse(normalised);
  if (Number.isNaN(ms)) return `timestamp "${s}" is not a valid time`;
  return new Date(ms);
}

function parseNumber(raw: string, what: string): number | null | string {
  const s = raw.trim();
  if (s === '') return null;
  if (!NUMERIC.test(s)) return `${what} "${s}" is not a number`;
  const n = Number(s);
  return Number.isFinite(n) ? n : `${what} "${s}" is not a finite number`;
}

function parseId(raw: string | undefined, what: string): string {
  const s = (raw ?? '').trim();
  if (s.length > MAX_ID_LENGTH) throw new RowProblem(`${what} is longer than ${MAX_ID_LENGTH} characters`);
  // Postgres text cannot hold NUL: let it fail this row here rather than its whole batch later.
  if (s.includes('\u0000')) throw new RowProblem(`${what} contains a NUL character`);
  return s;
}

/** Thrown inside row mappers and turned into a RowError; never escapes this module. */
class RowProblem extends Error {}

function isBlank(row: CsvRow): boolean {
  return row.fields.every((f) => f.trim() === '');
}

function checkWidth(row: CsvRow, headerWidth: number): void {
  // Missing trailing columns read as empty (a spreadsheet often drops them); surplus ones mean a broken row.
  if (row.fields.length > headerWidth) {
    throw new RowProblem(`row has ${row.fields.length} fields but the header has ${headerWidth} (unquoted comma?)`);
  }
}

export type EventColumns = ColumnIndex<(typeof EVENT_REQUIRED)[number] | (typeof EVENT_OPTIONAL)[number]>;

export function eventColumns(header: string[]): { columns: EventColumns; ignored: string[] } {
  return indexHeader('events file', header, EVENT_REQUIRED, EVENT_OPTIONAL);
}

/** Maps one data row of events.csv; a problem comes back as a RowError, never thrown. */
export function toEventRow(columns: EventColumns, headerWidth: number, row: CsvRow): EventRow | RowError {
  try {
    checkWidth(row, headerWidth);
    const f = row.fields;
    const userId = parseId(f[columns.user_id], 'user_id');
    if (!userId) throw new RowProblem('user_id is empty');
    let type: EventTypeName = 'VIEW';
    if (columns.type >= 0) {
      const rawType = (f[columns.type] ?? '').trim().toUpperCase();
      if (rawType !== '') {
        if (!EVENT_TYPE_SET.has(rawType)) {
          throw new RowProblem(`unknown event type "${f[columns.type].trim()}" (expected one of ${EVENT_TYPES.join(', ')})`);
        }
        type = rawType as EventTypeName;
      }
    }
    const itemId = parseId(f[columns.item_id], 'item_id');
    if (!itemId && type !== 'SEARCH') throw new RowProblem('item_id is empty');
    const occurredAt = parseTimestamp(f[columns.timestamp] ?? '');
    if (typeof occurredAt === 'string') throw new RowProblem(occurredAt);
    let value: number | null = null;
    if (columns.value >= 0) {
      const v = parseNumber(f[columns.value] ?? '', 'value');
      if (typeof v === 'string') throw new RowProblem(v);
      value = v;
    }
    const event: EventRow = { userId, itemId: itemId || null, type, value, occurredAt, line: row.line };
    if (columns.event_id >= 0) {
      const eventId = parseId(f[columns.event_id], 'event_id');
      if (eventId) event.eventId = eventId;
    }
    return event;
  } catch (err) {
    if (err instanceof RowProblem) return { line: row.line, reason: err.message };
    throw err;
  }
}

export type ItemColumns = ColumnIndex<(typeof ITEM_REQUIRED)[number] | (typeof ITEM_OPTIONAL)[number]>;

export function itemColumns(header: string[]): { columns: ItemColumns; ignored: string[] } {
  return indexHeader('items file', header, ITEM_REQUIRED, ITEM_OPTIONAL);
}

function optionalText(f: string[], k: number): string | null | undefined {
  if (k < 0) return undefined;
  const s = (f[k] ?? '').trim();
  return s === '' ? null : s;
}

function parseBool(raw: string): boolean | undefined | string {
  const s = raw.trim().toLowerCase();
  if (s === '') return undefined;
  if (['true', '1', 'yes', 'y'].includes(s)) return true;
  if (['false', '0', 'no', 'n'].includes(s)) return false;
  return `in_stock "${raw.trim()}" is not true/false`;
}

/** Maps one data row of items.csv; tags are `|`-separated, trimmed and de-duplicated. */
export function toItemRow(columns: ItemColumns, headerWidth: number, row: CsvRow): ItemRow | RowError {
  try {
    checkWidth(row, headerWidth);
    const f = row.fields;
    const id = parseId(f[columns.item_id], 'item_id');
    if (!id) throw new RowProblem('item_id is empty');
    const title = (f[columns.title] ?? '').trim();
    if (!title) throw new RowProblem('title is empty');
    const item: ItemRow = {
      id,
      title,
      description: optionalText(f, columns.description),
      category: optionalText(f, columns.category),
      brand: optionalText(f, columns.brand),
      line: row.line,
    };
    if (columns.tags >= 0) {
      item.tags = [...new Set((f[columns.tags] ?? '').split('|').map((t) => t.trim()).filter(Boolean))];
    }
    if (columns.price >= 0) {
      const price = parseNumber(f[columns.price] ?? '', 'price');
      if (typeof price === 'string') throw new RowProblem(price);
      if (price !== null && price < 0) throw new RowProblem(`price ${price} is negative`);
      item.price = price;
    }
    if (columns.in_stock >= 0) {
      const inStock = parseBool(f[columns.in_stock] ?? '');
      if (typeof inStock === 'string') throw new RowProblem(inStock);
      if (inStock !== undefined) item.inStock = inStock;
    }
    return item;
  } catch (err) {
    if (err instanceof RowProblem) return { line: row.line, reason: err.message };
    throw err;
  }
}

/** Header facts worth telling the user before the rows start. */
export interface CsvFileInfo {
  ignoredColumns: string[];
}

async function* mapRows<T>(
  source: CsvSource,
  readHeader: (header: string[]) => { ignored: string[]; map: (row: CsvRow, width: number) => T | RowError },
  emptyMessage: string,
  onHeader?: (info: CsvFileInfo) => void,
): AsyncGenerator<(T | RowError)[]> {
  let map: ((row: CsvRow, width: number) => T | RowError) | undefined;
  let width = 0;
  for await (const batch of csvRowBatches(source)) {
    const out: (T | RowError)[] = [];
    for (const row of batch) {
      if (!map) {
        const header = readHeader(row.fields);
        map = header.map;
        width = row.fields.length;
        onHeader?.({ ignoredColumns: header.ignored });
        continue;
      }
      if (isBlank(row)) continue;
      out.push(map(row, width));
    }
    if (out.length) yield out;
  }
  if (!map) throw new CsvHeaderError(emptyMessage);
}

/** events.csv as batches of EventRow or RowError, in file order. Throws CsvHeaderError on a bad header. */
export function eventRowBatches(source: CsvSource, onHeader?: (info: CsvFileInfo) => void): AsyncGenerator<(EventRow | RowError)[]> {
  return mapRows(
    source,
    (header) => {
      const { columns, ignored } = eventColumns(header);
      return { ignored, map: (row, width) => toEventRow(columns, width, row) };
    },
    'events file is empty (expected a header user_id,item_id,timestamp[,type,value])',
    onHeader,
  );
}

/** items.csv as batches of ItemRow or RowError, in file order. Throws CsvHeaderError on a bad header. */
export function itemRowBatches(source: CsvSource, onHeader?: (info: CsvFileInfo) => void): AsyncGenerator<(ItemRow | RowError)[]> {
  return mapRows(
    source,
    (header) => {
      const { columns, ignored } = itemColumns(header);
      return { ignored, map: (row, width) => toItemRow(columns, width, row) };
    },
    'items file is empty (expected a header item_id,title[,description,category,brand,tags,price])',
    onHeader,
  );
}
