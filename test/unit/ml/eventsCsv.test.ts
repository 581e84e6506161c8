import { EVENT_TYPES, DEFAULT_EVENT_WEIGHTS } from '../../../src/ml/interactions';
import { alignItemMeta, CsvRecordParser, eventWeight, parseEventsCsv, parseItemsCsv, parseTimestamp } from '../../../src/ml/evaluation/eventsCsv';

function records(text: string, chunkSize = text.length): string[][] {
  const out: string[][] = [];
  const parser = new CsvRecordParser((fields) => out.push(fields));
  for (let i = 0; i < text.length; i += chunkSize) parser.push(text.slice(i, i + chunkSize));
  parser.end();
  return out;
}

describe('CsvRecordParser', () => {
  const text = 'a,b,c\r\n1,"x, y",3\n2,"say ""hi""",\n3,"multi\nline",z\n\n4,plain,"end"';

  it('handles quoted commas, doubled quotes, newlines in quotes, CRLF and blank lines', () => {
    expect(records(text)).toEqual([
      ['a', 'b', 'c'],
      ['1', 'x, y', '3'],
      ['2', 'say "hi"', ''],
      ['3', 'multi\nline', 'z'],
      ['4', 'plain', 'end'],
    ]);
  });

  it('gives the same records whatever the chunk boundaries', () => {
    const whole = records(text);
    for (const size of [1, 2, 3, 5, 7]) expect(records(text, size)).toEqual(whole);
  });

  it('drops a UTF-8 byte-order mark before the header', () => {
    expect(records('\ufeffa,b\n1,2')[0]).toEqual(['a', 'b']);
  });

  it('rejects an unterminated quote', () => {
    expect(() => records('a,b\n1,"open')).toThrow(/unterminated/);
  });
});

describe('parseTimestamp', () => {
  it('reads unix seconds, fractions and ISO-8601', () => {
    expect(parseTimestamp('1396860669.277')).toBeCloseTo(1396860669.277, 3);
    expect(parseTimestamp('2021-03-04T05:06:07Z')).toBe(Date.UTC(2021, 2, 4, 5, 6, 7) / 1000);
    expect(parseTimestamp('2021-03-04T05:06:07.500+01:00')).toBe(Date.UTC(2021, 2, 4, 4, 6, 7, 500) / 1000);
    expect(parseTimestamp('')).toBeNaN();
    expect(parseTimestamp('yesterday')).toBeNaN();
  });
});

describe('parseEventsCsv', () => {
  it('sorts by user then time, file order breaking ties, and keeps dense vocabularies', () => {
    const data = parseEventsCsv(
      [
        'user_id,item_id,timestamp',
        'bob,i1,30',
        'amy,i2,20',
        'bob,i3,10',
        'amy,i4,2021-01-01T00:00:00Z',
        'bob,i5,30',
        'bob,i6,10',
      ].join('\n'),
    );
    expect(data.userIds).toEqual(['bob', 'amy']);
    expect(data.itemIds).toEqual(['i1', 'i2', 'i3', 'i4', 'i5', 'i6']);
    expect(Array.from(data.userOffsets)).toEqual([0, 4, 6]);
    const itemsOf = (u: number) => Array.from(data.items.subarray(data.userOffsets[u], data.userOffsets[u + 1]), (i) => data.itemIds[i]);
    expect(itemsOf(0)).toEqual(['i3', 'i6', 'i1', 'i5']);
    expect(itemsOf(1)).toEqual(['i2', 'i4']);
    expect(Array.from(data.users)).toEqual([0, 0, 0, 0, 1, 1]);
    // No type column: VIEW with its default weight.
    expect(Array.from(data.types)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(data.weights[0]).toBe(DEFAULT_EVENT_WEIGHTS.VIEW);
  });

  it('reads types and rating values into weights', () => {
    const data = parseEventsCsv('user_id,item_id,timestamp,type,value\nu,a,1,PURCHASE,\nu,b,2,RATING,5\nu,c,3,rating,1\nu,d,4,,');
    expect(Array.from(data.types)).toEqual([EVENT_TYPES.indexOf('PURCHASE'), EVENT_TYPES.indexOf('RATING'), EVENT_TYPES.indexOf('RATING'), 0]);
    expect(data.weights[0]).toBe(DEFAULT_EVENT_WEIGHTS.PURCHASE);
    expect(data.weights[1]).toBeCloseTo(DEFAULT_EVENT_WEIGHTS.RATING);
    expect(data.weights[2]).toBeCloseTo(DEFAULT_EVENT_WEIGHTS.RATING / 5);
    expect(data.weights[3]).toBe(DEFAULT_EVENT_WEIGHTS.VIEW);
  });

  it('names the record of a bad row', () => {
    expect(() => parseEventsCsv('user_id,item_id,timestamp\nu,a,1\nu,b,soon')).toThrow(/record 3.*timestamp/);
    expect(() => parseEventsCsv('user_id,item_id,timestamp,type\nu,a,1,LIKE')).toThrow(/unknown type/);
    expect(() => parseEventsCsv('user,item_id,timestamp\nu,a,1')).toThrow(/user_id/);
  });

  it('loads 200k events in linear time', () => {
    // Interleaved users with shuffled times exercise the per-user sort too.
    const lines = ['user_id,item_id,timestamp,type,value'];
    for (let e = 0; e < 200_000; e++) lines.push(`u${e % 5000},i${(e * 7919) % 20000},${1_600_000_000 + (e % 977)},CLICK,`);
    const started = performance.now();
    const data = parseEventsCsv(lines.join('\n'));
    const seconds = (performance.now() - started) / 1000;
    expect(data.items.length).toBe(200_000);
    let unsorted = 0;
    for (let r = 1; r < data.items.length; r++) if (data.users[r] === data.users[r - 1] && data.times[r] < data.times[r - 1]) unsorted++;
    expect(unsorted).toBe(0);
    // About 0.3 s on an idle core; the bound leaves room for a busy CI machine but not for a quadratic blow-up.
    expect(seconds).toBeLessThan(4);
  });
});

describe('eventWeight', () => {
  it('scales ratings by value/5 and floors very low ratings', () => {
    const rating = EVENT_TYPES.indexOf('RATING');
    expect(eventWeight(rating, 4)).toBeCloseTo(DEFAULT_EVENT_WEIGHTS.RATING * 0.8);
    expect(eventWeight(rating, 0)).toBeCloseTo(DEFAULT_EVENT_WEIGHTS.RATING * 0.1);
    expect(eventWeight(rating, NaN)).toBe(DEFAULT_EVENT_WEIGHTS.RATING);
    expect(eventWeight(EVENT_TYPES.indexOf('VIEW'), 5)).toBe(DEFAULT_EVENT_WEIGHTS.VIEW);
  });
});

describe('parseItemsCsv', () => {
  it('reads optional columns, quoted text and pipe-separated tags', () => {
    const items = parseItemsCsv(
      'item_id,title,description,category,brand,tags,price\n' +
        '1,"Toy Story, The (1995)","A ""fun"" film",Animation,Pixar,Animation|Comedy| ,9.5\n' +
        '2,Heat,,,,,\n',
    );
    expect(items).toEqual([
      { id: '1', title: 'Toy Story, The (1995)', description: 'A "fun" film', category: 'Animation', brand: 'Pixar', tags: ['Animation', 'Comedy'], price: 9.5 },
      { id: '2', title: 'Heat', description: null, category: null, brand: null, tags: null, price: null },
    ]);
  });

  it('works with only item_id and title, and aligns to a vocabulary', () => {
    const items = parseItemsCsv('item_id,title\nb,Bee\na,Ay');
    const aligned = alignItemMeta(['a', 'x', 'b'], items);
    expect(aligned.map((m) => m.title)).toEqual(['Ay', 'x', 'Bee']);
  });
});
