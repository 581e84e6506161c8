// Parses PostgreSQL's binary COPY format (COPY … TO STDOUT (FORMAT binary)) as it streams in. Each field value
// lands in a buffer of its own, sized from the length that precedes it and filled chunk by chunk, so a value of
// any size costs the event loop one small copy per network chunk: never a giant string, never one long decode.

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
// Signature, flags (int32), header extension length (int32).
const HEADER_BYTES = SIGNATURE.length + 8;
// Flags bit 16: every row carries an OID column first. Not asked for by our statements; refused rather than misread.
const HAS_OIDS = 1 << 16;

type State = 'header' | 'extension' | 'fieldCount' | 'fieldLength' | 'fieldData' | 'done';

export class CopyBinaryRows {
  private readonly rows: (Uint8Array | null)[][] = [];
  private state: State = 'header';
  /** Bytes of a fixed-size item (header, count, length) split across chunks. */
  private carry: Buffer = Buffer.alloc(0);
  private skip = 0;
  private fieldsLeft = 0;
  private row: (Uint8Array | null)[] = [];
  private field: Uint8Array = new Uint8Array(0);
  private filled = 0;

  /** Consumes the next chunk of the stream. Throws on a malformed stream. */
  push(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.state === 'done') throw new Error('binary COPY stream has data after its trailer');
      if (this.state === 'extension') {
        const n = Math.min(this.skip, chunk.length - at);
        this.skip -= n;
        at += n;
        if (this.skip === 0) this.state = 'fieldCount';
        continue;
      }
      if (this.state === 'fieldData') {
        const n = Math.min(this.field.length - this.filled, chunk.length - at);
        this.field.set(chunk.subarray(at, at + n), this.filled);
        this.filled += n;
        at += n;
        if (this.filled === this.field.length) this.endField(this.field);
        continue;
      }
      const size = this.state === 'header' ? HEADER_BYTES : this.state === 'fieldCount' ? 2 : 4;
      const take = Math.min(size - this.carry.length, chunk.length - at);
      this.carry = Buffer.concat([this.carry, chunk.subarray(at, at + take)]);
      at += take;
      if (this.carry.length < size) continue;
      const item = this.carry;
      this.carry = Buffer.alloc(0);
      this.fixed(item);
    }
  }

  /** The rows read, each a list of field values (null for SQL NULL); throws if the stream stopped early. */
  end(): (Uint8Array | null)[][] {
    if (this.state !== 'done') throw new Error(`binary COPY stream ended early (while reading ${this.state})`);
    return this.rows;
  }

  private fixed(item: Buffer): void {
    switch (this.state) {
      case 'header': {
        if (!item.subarray(0, SIGNATURE.length).equals(SIGNATURE)) throw new Error('not a binary COPY stream (bad signature)');
        if (item.readInt32BE(SIGNATURE.length) & HAS_OIDS) throw new Error('binary COPY stream with OIDs is not supported');
        this.skip = item.readInt32BE(SIGNATURE.length + 4);
        this.state = this.skip > 0 ? 'extension' : 'fieldCount';
        return;
      }
      case 'fieldCount': {
        const count = item.readInt16BE(0);
        if (count === -1) {
          this.state = 'done';
          return;
        }
        this.row = [];
        this.fieldsLeft = count;
        if (count === 0) this.rows.push(this.row);
        else this.state = 'fieldLength';
        return;
      }
      case 'fieldLength': {
        const length = item.readInt32BE(0);
        if (length === -1) return this.endField(null);
        if (length < 0) throw new Error(`binary COPY stream has a field of length ${length}`);
        // Not zero-filled (every byte is written before the field is complete; a stream that stops short throws in
        // end()): zeroing tens of MiB is itself a stall. allocUnsafeSlow gives the value a buffer of its own.
        this.field = Buffer.allocUnsafeSlow(length);
        this.filled = 0;
        if (length === 0) return this.endField(this.field);
        this.state = 'fieldData';
        return;
      }
      default:
        throw new Error(`binary COPY parser in state ${this.state} read a fixed-size item`);
    }
  }

  private endField(value: Uint8Array | null): void {
    this.row.push(value);
    this.fieldsLeft--;
    if (this.fieldsLeft > 0) {
      this.state = 'fieldLength';
      return;
    }
    this.rows.push(this.row);
    this.state = 'fieldCount';
  }
}
