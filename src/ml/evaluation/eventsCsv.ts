// Streaming loader for the offline-evaluation CSV format: events.csv -> Interactions, items.csv -> ItemMeta[].
// Lines without quotes take a split(',') fast path; quoted fields (commas, doubled quotes, newlines) take a small state machine.
import { createReadStream } from 'node:fs';
import {
  DEFAULT_EVENT_WEIGHTS,
  EVENT_TYPES,
  type EventTypeName,
  type Interactions,
  type ItemMeta,
} from '../interactions';

/** Incremental CSV tokenizer: feed text chunks, get one string[] per record (header included). */
export class CsvRecordParser {
  private pending = '';
  private recordNo = 0;

  constructor(private readonly onRecord: (fields: string[], recordNo: number) => void) {}

  push(chunk: string): void {
    // A UTF-8 byte-order mark would otherwise stick to the first header name.
    if (this.recordNo === 0 && this.pending.length === 0 && chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    const text = this.pending + chunk;
    let start = 0;
    let quote = -1; // next quote at or after `start`, cached so a far-away quote is not searched for on every line
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      if (quote !== Infinity && quote < start) {
        quote = text.indexOf('"', start);
        if (quote < 0) quote = Infinity;
      }
      if (quote < nl) {
        // A quoted field may span lines: parse from here until a record ends outside quotes.
        const end = this.parseQuoted(text, start);
        if (end < 0) break; // record continues in the next chunk
        start = end;
        continue;
      }
      this.emitPlain(text, start, nl);
      start = nl + 1;
    }
    this.pending = text.slice(start);
  }

  end(): void {
    if (this.pending.length === 0) return;
    const text = this.pending + '\n';
    this.pending = '';
    let start = 0;
    while (start < text.length) {
      const nl = text.indexOf('\n', start);
      const quote = text.indexOf('"', start);
      if (quote >= 0 && quote < nl) {
        const end = this.parseQuoted(text, start);
        if (end < 0) throw new Error(`CSV record ${this.recordNo + 1}: unterminated quoted field`);
        start = end;
      } else {
        this.emitPlain(text, start, nl);
        start = nl + 1;
      }
    }
  }

  private emitPlain(text: string, start: number, nl: number): void {
    let end = nl;
    if (end > start && text.charCodeAt(end - 1) === 13) end--; // CRLF
    if (end === start) return; // blank line
    this.onRecord(text.slice(start, end).split(','), this.recordNo++);
  }

  /** Parses one record that contains quotes; returns the index after its newline, or -1 if incomplete. */
  private parseQuoted(text: string, start: number): number {
    const fields: string[] = [];
    let field = '';
    let i = start;
    let inQuotes = false;
    const n = text.length;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (inQuotes) {
        if (c === 34) {
          if (i + 1 >= n) return -1; // cannot tell "" from a closing quote yet
          if (text.charCodeAt(i + 1) === 34) {
            field += '"';
            i += 2;
          } else {
            inQuotes = false;
            i++;
          }
        } else {
          const next = text.indexOf('"', i);
          if (next < 0) return -1;
          field += text.slice(i, next);
          i = next;
        }
      } else if (c === 34) {
        inQuotes = true;
        i++;
      } else if (c === 44) {
        fields.push(field);
        field = '';
        i++;
      } else if (c === 10) {
        if (field.endsWith('\r')) field = field.slice(0, -1);
        fields.push(field);
        this.onRecord(fields, this.recordNo++);
        return i + 1;
      } else {
        field += text[i];
        i++;
      }
    }
    return -1;
  }
}

/** Feeds a file through a CsvRecordParser in 1 MiB chunks. */
export async function streamCsvFile(path: string, onRecord: (fields: string[], recordNo: number) => void): Promise<void> {
  const parser = new CsvRecordParser(onRecord);
  const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 });
  for await (const chunk of stream) parser.push(chunk as string);
  parser.end();
}

/** Parses a whole CSV text (tests, small files). */
export function parseCsvText(text: string, onRecord: (fields: string[], recordNo: number) => void): void {
  const parser = new CsvRecordParser(onRecord);
  parser.push(text);
  parser.end();
}

const TYPE_CODES = new Map<string, number>(EVENT_TYPES.map((name, code) => [name, code]));
const RATING_CODE = TYPE_CODES.get('RATING')!;

/**
 * Implicit-feedback strength of one event. RATING scales the default weight by value/5 (a 5-star
 * rating weighs 3, a 1-star 0.6): low ratings stay weak positives, because under leave-last-out
 * "what the user rates next" is the target whatever the rating. Other types ignore `value`.
 */
export function eventWeight(typeCode: number, value: number, weights: Readonly<Record<EventTypeName, number>> = DEFAULT_EVENT_WEIGHTS): number {
  const base = weights[EVENT_TYPES[typeCode]];
  if (typeCode === RATING_CODE && Number.isFinite(value)) return base * Math.max(0.1, Math.min(value, 5) / 5);
  return base;
}

/** Unix seconds from a numeric (possibly fractional) or ISO-8601 timestamp; NaN when neither. */
export function parseTimestamp(text: string): number {
  const s = text.trim();
  if (s.length === 0) return NaN;
  const numeric = Number(s);
  if (!Number.isNaN(numeric)) return numeric;
  return Date.parse(s) / 1000;
}

function columnIndex(header: string[], name: string, required: boolean, file: string): number {
  const idx = header.findIndex((h) => h.trim().toLowerCase() === name);
  if (idx < 0 && required) throw new Error(`${file}: missing required column "${name}" (header: ${header.join(',')})`);
  return idx;
}

/** Accumulates event records in file order, then sorts them into Interactions. */
class EventsBuilder {
  private readonly userIndex = new Map<string, number>();
  private readonly itemIndex = new Map<string, number>();
  readonly userIds: string[] = [];
  readonly itemIds: string[] = [];
  private users: number[] = [];
  private items: number[] = [];
  private times: number[] = [];
  private types: number[] = [];
  private weights: number[] = [];
  private col = { user: 0, item: 1, time: 2, type: -1, value: -1 };

  constructor(private readonly file: string) {}

  add(fields: string[], recordNo: number): void {
    if (recordNo === 0) {
      this.col = {
        user: columnIndex(fields, 'user_id', true, this.file),
        item: columnIndex(fields, 'item_id', true, this.file),
        time: columnIndex(fields, 'timestamp', true, this.file),
        type: columnIndex(fields, 'type', false, this.file),
        value: columnIndex(fields, 'value', false, this.file),
      };
      return;
    }
    const { col } = this;
    const userId = fields[col.user];
    const itemId = fields[col.item];
    if (userId === undefined || itemId === undefined || userId === '' || itemId === '') {
      throw new Error(`${this.file}: record ${recordNo + 1} has no user_id or item_id`);
    }
    const time = parseTimestamp(fields[col.time] ?? '');
    if (Number.isNaN(time)) throw new Error(`${this.file}: record ${recordNo + 1} has an invalid timestamp "${fields[col.time]}"`);
    let typeCode = 0;
    const typeText = col.type >= 0 ? fields[col.type] : undefined;
    if (typeText) {
      const code = TYPE_CODES.get(typeText.trim().toUpperCase());
      if (code === undefined) throw new Error(`${this.file}: record ${recordNo + 1} has an unknown type "${typeText}"`);
      typeCode = code;
    }
    const valueText = col.value >= 0 ? fields[col.value] : undefined;
    const value = valueText ? Number(valueText) : NaN;

    let u = this.userIndex.get(userId);
    if (u === undefined) {
      u = this.userIds.length;
      this.userIndex.set(userId, u);
      this.userIds.push(userId);
    }
    let it = this.itemIndex.get(itemId);
    if (it === undefined) {
      it = this.itemIds.length;
      this.itemIndex.set(itemId, it);
      this.itemIds.push(itemId);
    }
    this.users.push(u);
    this.items.push(it);
    this.times.push(time);
    this.types.push(typeCode);
    this.weights.push(eventWeight(typeCode, value));
  }

  /** Stable counting sort by user, then a stable per-user sort by time only where a user's rows are out of order. */
  build(): Interactions {
    const n = this.users.length;
    const numUsers = this.userIds.length;
    const userOffsets = new Int32Array(numUsers + 1);
    for (let e = 0; e < n; e++) userOffsets[this.users[e] + 1]++;
    for (let u = 0; u < numUsers; u++) userOffsets[u + 1] += userOffsets[u];
    const cursor = userOffsets.slice(0, numUsers);
    const order = new Int32Array(n);
    for (let e = 0; e < n; e++) order[cursor[this.users[e]]++] = e;

    const times = this.times;
    for (let u = 0; u < numUsers; u++) {
      const start = userOffsets[u];
      const end = userOffsets[u + 1];
      let sorted = true;
      for (let r = start + 1; r < end; r++) {
        if (times[order[r]] < times[order[r - 1]]) {
          sorted = false;
          break;
        }
      }
      if (!sorted) {
        const slice = Array.from(order.subarray(start, end));
        slice.sort((a, b) => times[a] - times[b] || a - b);
        order.set(slice, start);
      }
    }

    const out: Interactions = {
      userIds: this.userIds,
      itemIds: this.itemIds,
      users: new Int32Array(n),
      items: new Int32Array(n),
      times: new Float64Array(n),
      types: new Uint8Array(n),
      weights: new Float32Array(n),
      userOffsets,
    };
    for (let r = 0; r < n; r++) {
      const e = order[r];
      out.users[r] = this.users[e];
      out.items[r] = this.items[e];
      out.times[r] = times[e];
      out.types[r] = this.types[e];
      out.weights[r] = this.weights[e];
    }
    return out;
  }
}

/** Loads events.csv (user_id,item_id,timestamp[,type][,value]) as Interactions sorted by user, then time, then file order. */
export async function loadEventsCsv(path: string): Promise<Interactions> {
  const builder = new EventsBuilder(path);
  await streamCsvFile(path, (fields, recordNo) => builder.add(fields, recordNo));
  return builder.build();
}

/** Same as loadEventsCsv for an in-memory text. */
export function parseEventsCsv(text: string, name = 'events.csv'): Interactions {
  const builder = new EventsBuilder(name);
  parseCsvText(text, (fields, recordNo) => builder.add(fields, recordNo));
  return builder.build();
}

function itemRecordHandler(file: string, out: ItemMeta[]): (fields: string[], recordNo: number) => void {
  let col = { id: 0, title: 1, description: -1, category: -1, brand: -1, tags: -1, price: -1 };
  const text = (fields: string[], idx: number): string | null => {
    if (idx < 0) return null;
    const v = fields[idx]?.trim();
    return v ? v : null;
  };
  return (fields, recordNo) => {
    if (recordNo === 0) {
      col = {
        id: columnIndex(fields, 'item_id', true, file),
        title: columnIndex(fields, 'title', false, file),
        description: columnIndex(fields, 'description', false, file),
        category: columnIndex(fields, 'category', false, file),
        brand: columnIndex(fields, 'brand', false, file),
        tags: columnIndex(fields, 'tags', false, file),
        price: columnIndex(fields, 'price', false, file),
      };
      return;
    }
    const id = text(fields, col.id);
    if (id === null) throw new Error(`${file}: record ${recordNo + 1} has no item_id`);
    const tags = text(fields, col.tags);
    const priceText = text(fields, col.price);
    const price = priceText === null ? NaN : Number(priceText);
    out.push({
      id,
      title: text(fields, col.title) ?? id,
      description: text(fields, col.description),
      category: text(fields, col.category),
      brand: text(fields, col.brand),
      tags: tags === null ? null : tags.split('|').map((t) => t.trim()).filter((t) => t.length > 0),
      price: Number.isFinite(price) ? price : null,
    });
  };
}

/** Loads items.csv (item_id,title[,description,category,brand,tags,price]) in file order. */
export async function loadItemsCsv(path: string): Promise<ItemMeta[]> {
  const out: ItemMeta[] = [];
  await streamCsvFile(path, itemRecordHandler(path, out));
  return out;
}

export function parseItemsCsv(text: string, name = 'items.csv'): ItemMeta[] {
  const out: ItemMeta[] = [];
  parseCsvText(text, itemRecordHandler(name, out));
  return out;
}

/**
 * Reorders catalogue rows to the model vocabulary: result[i] describes itemIds[i]. Items with
 * events but no catalogue row get a stub whose title is the id; catalogue-only items are dropped
 * (models rank the items of the event log; the server adds new items through the content model).
 */
export function alignItemMeta(itemIds: readonly string[], catalogue: readonly ItemMeta[]): ItemMeta[] {
  const byId = new Map<string, ItemMeta>();
  for (const meta of catalogue) byId.set(meta.id, meta);
  return itemIds.map((id) => byId.get(id) ?? { id, title: id });
}
