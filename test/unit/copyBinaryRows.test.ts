// The binary COPY parser fed in pieces of every size, so each boundary (inside the header, a field count, a field
// length, a value) is split somewhere: the rows must come out byte for byte whatever the chunking.
import { CopyBinaryRows } from '../../src/db/copyBinaryRows';

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

/** Encodes rows as PostgreSQL writes them with COPY … (FORMAT binary), following the documented layout. */
function encode(rows: (Uint8Array | null)[][], extension = Buffer.alloc(0)): Buffer {
  const parts: Buffer[] = [SIGNATURE, int32(0), int32(extension.length), extension];
  for (const row of rows) {
    parts.push(int16(row.length));
    for (const f of row) parts.push(...(f === null ? [int32(-1)] : [int32(f.length), Buffer.from(f)]));
  }
  parts.push(int16(-1));
  return Buffer.concat(parts);
}

function int16(v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeInt16BE(v);
  return b;
}

function int32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(v);
  return b;
}

function parseInPieces(stream: Buffer, size: number): (Uint8Array | null)[][] {
  const parser = new CopyBinaryRows();
  for (let at = 0; at < stream.length; at += size) parser.push(stream.subarray(at, at + size));
  return parser.end();
}

const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed * 7) & 0xff);

describe('CopyBinaryRows', () => {
  const rows: (Uint8Array | null)[][] = [
    [Buffer.from('offsets'), bytes(37, 1)],
    [Buffer.from('empty'), new Uint8Array(0)],
    [Buffer.from('missing'), null],
    [],
    [Buffer.from('neighbours'), bytes(301, 2), bytes(5, 3)],
  ];

  it('returns every field byte for byte, NULLs and empty values included, for every chunk size', () => {
    const stream = encode(rows);
    for (let size = 1; size <= stream.length; size++) {
      const parsed = parseInPieces(stream, size);
      expect(parsed.map((r) => r.map((f) => (f === null ? null : Buffer.from(f).toString('hex'))))).toEqual(
        rows.map((r) => r.map((f) => (f === null ? null : Buffer.from(f).toString('hex')))),
      );
    }
  });

  it('gives each value a buffer of its own, starting at offset 0 (typed-array views need no copy to align)', () => {
    const [[, value]] = parseInPieces(encode([[Buffer.from('a'), bytes(64, 4)]]), 7);
    expect(value?.byteOffset).toBe(0);
    expect(value?.buffer.byteLength).toBe(64);
  });

  it('skips a header extension area', () => {
    const stream = encode(rows, Buffer.from('future header fields'));
    expect(parseInPieces(stream, 3)).toHaveLength(rows.length);
  });

  it('refuses a stream cut short, a foreign stream and data after the trailer', () => {
    const stream = encode(rows);
    expect(() => parseInPieces(stream.subarray(0, stream.length - 1), 16)).toThrow(/ended early/);
    expect(() => parseInPieces(stream.subarray(0, 200), 16)).toThrow(/ended early/);
    expect(() => parseInPieces(Buffer.from('PGCOPY\nnot really a copy stream'), 4)).toThrow(/signature/);
    expect(() => parseInPieces(Buffer.concat([stream, Buffer.from([0])]), 16)).toThrow(/after its trailer/);
  });

  it('refuses rows with OIDs rather than misreading them', () => {
    const stream = encode(rows);
    stream.writeInt32BE(1 << 16, SIGNATURE.length);
    expect(() => parseInPieces(stream, 16)).toThrow(/OIDs/);
  });
});
