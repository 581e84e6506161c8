// The CSV reader and the evaluation-format row mapping: quoting, line tracking across chunks, timestamps, bad rows.
import { Readable } from 'node:stream';
import { CsvParser, CsvSyntaxError, csvRecords, csvRows, parseCsv, type CsvRow } from '../../src/io/csvRows';
import {
  CsvHeaderError,
  eventRowBatches,
  isRowError,
  itemRowBatches,
  parseTimestamp,
  type EventRow,
  type ItemRow,
  type RowError,
} from '../../src/domain/import/eventCsvRows';

const fields = (rows: CsvRow[]) => rows.map((r) => r.fields);

/** Feeds the text in pieces of `size` characters, so every boundary case (a quote, a CRLF) gets split. */
function parseInPieces(text: string, size: number): CsvRow[] {
  const parser = new CsvParser();
  const out: CsvRow[] = [];
  for (let i = 0; i < text.length; i += size) parser.push(text.slice(i, i + size), out);
  parser.end(out);
  return out;
}

async function collect<T>(batches: AsyncIterable<T[]>): Promise<T[]> {
  const all: T[] = [];
  for await (const b of batches) all.push(...b);
  return all;
}

const events = (text: string) => collect(eventRowBatches(Readable.from([text])));
const items = (text: string) => collect(itemRowBatches(Readable.from([text])));
const good = <T extends EventRow | ItemRow>(rows: (T | RowError)[]) => rows.filter((r): r is T => !isRowError(r));
const bad = <T extends EventRow | ItemRow>(rows: (T | RowError)[]) => rows.filter((r): r is RowError => isRowError(r));

describe('CSV reader', () => {
  const tricky =
    'id,title,notes\r\n' +
    '1,"Boots, waterproof","He said ""wow"""\r\n' +
    '2,"Two\nline\r\ntitle",plain\n' +
    '3,,"",\n' +
    '\n' +
    '4,last,no newline at end';

  const expected = [
    ['id', 'title', 'notes'],
    ['1', 'Boots, waterproof', 'He said "wow"'],
    ['2', 'Two\nline\r\ntitle', 'plain'],
    ['3', '', '', ''],
    ['4', 'last', 'no newline at end'],
  ];

  it('reads quoted commas, doubled quotes, line breaks inside quotes, empty fields and CRLF', () => {
    expect(fields(parseCsv(tricky))).toEqual(expected);
  });

  it('gives the same rows however the input is chunked', () => {
    for (const size of [1, 2, 3, 5, 7, 64]) expect(fields(parseInPieces(tricky, size))).toEqual(expected);
  });

  it('numbers each row by the physical line it starts on, counting breaks inside quotes and blank lines', () => {
    expect(parseCsv(tricky).map((r) => r.line)).toEqual([1, 2, 3, 6, 8]);
    expect(parseInPieces(tricky, 1).map((r) => r.line)).toEqual([1, 2, 3, 6, 8]);
  });

  it('decodes UTF-8 split across byte chunks and drops a byte-order mark', async () => {
    const bytes = Buffer.from('\uFEFFname\n"Café ☕"\n', 'utf8');
    const pieces = [...bytes].map((b) => Buffer.from([b]));
    const rows: string[][] = [];
    for await (const row of csvRows(Readable.from(pieces))) rows.push(row.fields);
    expect(rows).toEqual([['name'], ['Café ☕']]);
  });

  it('keys records by the header', async () => {
    const records = [];
    for await (const r of csvRecords(Readable.from(['a, b\n1,2\n3\n']))) records.push(r);
    expect(records).toEqual([
      { line: 2, values: { a: '1', b: '2' }, fieldCount: 2 },
      { line: 3, values: { a: '3' }, fieldCount: 1 },
    ]);
  });

  it('rejects an unclosed quote, naming the line where it opened', () => {
    expect(() => parseCsv('a,b\n1,"oops\n2,3\n')).toThrow(CsvSyntaxError);
    expect(() => parseCsv('a,b\n1,"oops\n2,3\n')).toThrow(/line 2/);
  });
});

describe('timestamps', () => {
  it('reads unix seconds, fractional seconds and ISO-8601 (no offset means UTC)', () => {
    expect(parseTimestamp('1396860669')).toEqual(new Date(1396860669000));
    expect(parseTimestamp('1396860669.277')).toEqual(new Date(1396860669277));
    expect(parseTimestamp('2024-03-01T10:15:30Z')).toEqual(new Date('2024-03-01T10:15:30Z'));
    expect(parseTimestamp('2024-03-01T10:15:30.5+02:00')).toEqual(new Date('2024-03-01T08:15:30.500Z'));
    expect(parseTimestamp('2024-03-01 10:15')).toEqual(new Date('2024-03-01T10:15:00Z'));
    expect(parseTimestamp('2024-03-01')).toEqual(new Date('2024-03-01T00:00:00Z'));
  });

  it('explains what is wrong with a bad one', () => {
    expect(parseTimestamp('yesterday')).toMatch(/neither unix seconds nor ISO-8601/);
    expect(parseTimestamp('2024-02-30')).toMatch(/not a valid date/);
    expect(parseTimestamp('1700000000000')).toMatch(/milliseconds/);
    expect(parseTimestamp('')).toMatch(/empty/);
  });
});

describe('events.csv rows', () => {
  it('maps the minimal header with VIEW as the default type', async () => {
    const rows = await events('user_id,item_id,timestamp\nu1,i1,1700000000\n');
    expect(rows).toEqual([
      { userId: 'u1', itemId: 'i1', type: 'VIEW', value: null, occurredAt: new Date(1700000000000), line: 2 },
    ]);
  });

  it('maps type, value and event_id, in any column order and case', async () => {
    const rows = good(
      await events('Timestamp,type,value,user_id,item_id,event_id\n2024-01-02T03:04:05Z,purchase,2.5,u1,"i,1",e-1\n1,RATING,4.0,u2,i2,\n'),
    );
    expect(rows[0]).toMatchObject({ userId: 'u1', itemId: 'i,1', type: 'PURCHASE', value: 2.5, eventId: 'e-1' });
    expect(rows[0].occurredAt.toISOString()).toBe('2024-01-02T03:04:05.000Z');
    expect(rows[1]).toMatchObject({ userId: 'u2', type: 'RATING', value: 4 });
    expect(rows[1].eventId).toBeUndefined();
  });

  it('reports bad rows with their line and reason, and keeps going', async () => {
    const text = [
      'user_id,item_id,timestamp,type,value',
      'u1,i1,1700000000,VIEW,', // 2: fine
      'u1,i1,1700000000,LIKE,', // 3: unknown type
      ',i1,1700000000,VIEW,', // 4: no user
      'u1,i1,soon,VIEW,', // 5: bad timestamp
      'u1,i1,1700000000,RATING,five', // 6: bad value
      'u1,,1700000000,VIEW,', // 7: no item
      'u1,i1,1700000000,VIEW,,extra', // 8: too many fields
      '"u2","i2","1700000001"', // 9: missing trailing optional columns are fine
      'u3,,1700000002,SEARCH,', // 10: a search needs no item
      'u\u0000,i1,1700000000,VIEW,', // 11: NUL, which Postgres text cannot hold
    ].join('\n');
    const rows = await events(text);
    expect(bad(rows)).toEqual([
      { line: 3, reason: expect.stringMatching(/unknown event type "LIKE"/) },
      { line: 4, reason: 'user_id is empty' },
      { line: 5, reason: expect.stringMatching(/"soon"/) },
      { line: 6, reason: expect.stringMatching(/value "five" is not a number/) },
      { line: 7, reason: 'item_id is empty' },
      { line: 8, reason: expect.stringMatching(/6 fields but the header has 5/) },
      { line: 11, reason: 'user_id contains a NUL character' },
    ]);
    expect(good(rows).map((r) => [r.line, r.userId, r.itemId, r.type])).toEqual([
      [2, 'u1', 'i1', 'VIEW'],
      [9, 'u2', 'i2', 'VIEW'],
      [10, 'u3', null, 'SEARCH'],
    ]);
  });

  it('refuses a header without the required columns, or an empty file', async () => {
    await expect(events('user,item,ts\n1,2,3\n')).rejects.toThrow(CsvHeaderError);
    await expect(events('user_id,timestamp\n1,3\n')).rejects.toThrow(/lacks required column "item_id"/);
    await expect(events('user_id,item_id,timestamp,item_id\n')).rejects.toThrow(/appears twice/);
    await expect(events('')).rejects.toThrow(/empty/);
  });
});

describe('items.csv rows', () => {
  it('maps every column; tags split on | and optional blanks become null', async () => {
    const rows = await items(
      'item_id,title,description,category,brand,tags,price\n' +
        'b1,"Alpine Hiking Boots","Warm, dry ""all day""",Outdoor,Northpeak,hiking| waterproof||hiking,129.5\n' +
        'b2,Socks,,,,,\n',
    );
    expect(rows).toEqual([
      {
        id: 'b1',
        title: 'Alpine Hiking Boots',
        description: 'Warm, dry "all day"',
        category: 'Outdoor',
        brand: 'Northpeak',
        tags: ['hiking', 'waterproof'],
        price: 129.5,
        line: 2,
      },
      { id: 'b2', title: 'Socks', description: null, category: null, brand: null, tags: [], price: null, line: 3 },
    ]);
  });

  it('leaves absent optional columns undefined (an upsert keeps what is stored)', async () => {
    const [row] = good(await items('item_id,title\nb1,Boots\n'));
    expect(row).toEqual({ id: 'b1', title: 'Boots', description: undefined, category: undefined, brand: undefined, line: 2 });
  });

  it('reports items without a title or with a bad price', async () => {
    const rows = await items('item_id,title,price\nb1,,3\nb2,Socks,cheap\nb3,Hat,-1\nb4,Cap,5\n');
    expect(bad(rows)).toEqual([
      { line: 2, reason: 'title is empty' },
      { line: 3, reason: expect.stringMatching(/price "cheap"/) },
      { line: 4, reason: expect.stringMatching(/negative/) },
    ]);
    expect(good(rows).map((r) => r.id)).toEqual(['b4']);
  });
});
