// Streaming RFC 4180 CSV reader: rows come out as they are parsed, so files of any size are never held whole.
// Quoted fields may hold commas, doubled quotes and line breaks; each row carries the line it starts on.
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';

/** One parsed row and the 1-based physical line it starts on (what an error message should cite). */
export interface CsvRow {
  line: number;
  fields: string[];
}

/** One data row keyed by the header's column names; columns the row lacks are absent. */
export interface CsvRecord {
  line: number;
  values: Record<string, string>;
  /** Fields the row actually had; differs from the header's width when the row is malformed. */
  fieldCount: number;
}

export class CsvSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`line ${line}: ${message}`);
    this.name = 'CsvSyntaxError';
  }
}

export type CsvSource = Readable | AsyncIterable<string | Buffer> | Iterable<string>;

const COMMA = 44;
const QUOTE = 34;
const LF = 10;
const CR = 13;

const enum State {
  FieldStart,
  Unquoted,
  Quoted,
  /** Just saw a quote inside a quoted field: either a doubled quote or the field's end. */
  QuoteInQuoted,
}

/**
 * Incremental parser: push text in chunks of any size (a quote or CRLF may straddle two chunks) and
 * collect finished rows. Lenient where strict parsing would only lose data: a quote inside an
 * unquoted field, or text after a closing quote, is kept literally.
 */
export class CsvParser {
  private state = State.FieldStart;
  private field = '';
  private fields: string[] = [];
  private line = 1;
  private rowLine = 1;
  private quoteLine = 1;
  private skipLf = false;
  private started = false;

  push(chunk: string, out: CsvRow[]): void {
    let i = 0;
    const n = chunk.length;
    if (!this.started && n > 0) {
      this.started = true;
      if (chunk.charCodeAt(0) === 0xfeff) i = 1; // byte-order mark some spreadsheet tools write
    }
    if (this.skipLf && i < n) {
      if (chunk.charCodeAt(i) === LF) i++;
      this.skipLf = false;
    }
    while (i < n) {
      switch (this.state) {
        case State.FieldStart: {
          if (chunk.charCodeAt(i) === QUOTE) {
            this.state = State.Quoted;
            this.quoteLine = this.line;
            i++;
          } else {
            this.state = State.Unquoted;
          }
          break;
        }
        case State.Unquoted: {
          // Hot path: scan to the next delimiter and take the field in one slice.
          let j = i;
          let c = 0;
          while (j < n) {
            c = chunk.charCodeAt(j);
            if (c === COMMA || c === LF || c === CR) break;
            j++;
          }
          if (j > i) this.field += chunk.slice(i, j);
          if (j === n) return; // field continues in the next chunk
          i = this.endField(chunk, j, c, out);
          break;
        }
        case State.Quoted: {
          const q = chunk.indexOf('"', i);
          const end = q < 0 ? n : q;
          if (end > i) {
            const part = chunk.slice(i, end);
            this.field += part;
            this.countLines(part);
          }
          if (q < 0) return;
          this.state = State.QuoteInQuoted;
          i = q + 1;
          break;
        }
        case State.QuoteInQuoted: {
          const c = chunk.charCodeAt(i);
          if (c === QUOTE) {
            this.field += '"';
            this.state = State.Quoted;
            i++;
          } else if (c === COMMA || c === LF || c === CR) {
            i = this.endField(chunk, i, c, out);
          } else {
            this.state = State.Unquoted;
          }
          break;
        }
      }
    }
  }

  /** Flushes the last row (a file need not end with a newline). */
  end(out: CsvRow[]): void {
    if (this.state === State.Quoted) {
      throw new CsvSyntaxError('quoted field is never closed (a stray " swallowed the rest of the file)', this.quoteLine);
    }
    if (this.state !== State.FieldStart || this.fields.length > 0) this.endRow(out);
  }

  /** Ends the field at delimiter `c` found at `j`; returns where parsing resumes. */
  private endField(chunk: string, j: number, c: number, out: CsvRow[]): number {
    this.fields.push(this.field);
    this.field = '';
    this.state = State.FieldStart;
    if (c === COMMA) return j + 1;
    this.emitRow(out);
    this.line++;
    this.rowLine = this.line;
    if (c === CR) {
      if (j + 1 < chunk.length) return chunk.charCodeAt(j + 1) === LF ? j + 2 : j + 1;
      this.skipLf = true;
    }
    return j + 1;
  }

  private endRow(out: CsvRow[]): void {
    this.fields.push(this.field);
    this.field = '';
    this.state = State.FieldStart;
    this.emitRow(out);
  }

  private emitRow(out: CsvRow[]): void {
    const fields = this.fields;
    this.fields = [];
    // A blank line is no row at all, not a row with one empty field.
    if (fields.length === 1 && fields[0] === '') return;
    out.push({ line: this.rowLine, fields });
  }

  private countLines(text: string): void {
    let k = text.indexOf('\n');
    while (k >= 0) {
      this.line++;
      k = text.indexOf('\n', k + 1);
    }
  }
}

async function* textChunks(source: CsvSource): AsyncGenerator<string> {
  // A stateful decoder keeps multi-byte UTF-8 characters intact across chunk boundaries.
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of source as AsyncIterable<string | Buffer>) {
    if (typeof chunk === 'string') yield chunk;
    else yield decoder.decode(chunk, { stream: true });
  }
  const rest = decoder.decode();
  if (rest) yield rest;
}

/** Rows in batches, one batch per input chunk: the cheapest way to consume a large file. */
export async function* csvRowBatches(source: CsvSource): AsyncGenerator<CsvRow[]> {
  const parser = new CsvParser();
  for await (const text of textChunks(source)) {
    const out: CsvRow[] = [];
    parser.push(text, out);
    if (out.length) yield out;
  }
  const out: CsvRow[] = [];
  parser.end(out);
  if (out.length) yield out;
}

/** Every row, the header included, as string arrays. */
export async function* csvRows(source: CsvSource): AsyncGenerator<CsvRow> {
  for await (const batch of csvRowBatches(source)) yield* batch;
}

/** Data rows keyed by the first row's column names (trimmed). An empty source yields nothing. */
export async function* csvRecords(source: CsvSource): AsyncGenerator<CsvRecord> {
  let header: string[] | undefined;
  for await (const batch of csvRowBatches(source)) {
    for (const row of batch) {
      if (!header) {
        header = row.fields.map((h) => h.trim());
        continue;
      }
      const values: Record<string, string> = {};
      const width = Math.min(header.length, row.fields.length);
      for (let k = 0; k < width; k++) values[header[k]] = row.fields[k];
      yield { line: row.line, values, fieldCount: row.fields.length };
    }
  }
}

/** Parses a whole CSV string at once (tests, small inputs). */
export function parseCsv(text: string): CsvRow[] {
  const parser = new CsvParser();
  const out: CsvRow[] = [];
  parser.push(text, out);
  parser.end(out);
  return out;
}

/** Streams a file from disk in large chunks (fewer, bigger reads parse faster). */
export function openCsvFile(path: string): Readable {
  return createReadStream(path, { highWaterMark: 1 << 20 });
}

/**
 * Counts a file's line breaks without parsing it (gigabytes per second): a progress bar's total.
 * Only an estimate of the row count, since quoted fields may hold line breaks.
 */
export async function countLines(path: string): Promise<number> {
  let lines = 0;
  let last = -1;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    let k = chunk.indexOf(LF);
    while (k >= 0) {
      lines++;
      k = chunk.indexOf(LF, k + 1);
    }
    if (chunk.length) last = chunk[chunk.length - 1];
  }
  return last >= 0 && last !== LF ? lines + 1 : lines;
}
