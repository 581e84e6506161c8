// Decoding artefacts handed over whole (as the model store reads them): the first decode keeps the buffer, any
// later one copies, so two models loaded from the same bytes never share an array; bytes that are only part of a
// buffer are always copied.
import { arrayBytes, handOver, readFloat32, readInt32 } from '../../../src/ml/models/artifactCodec';

describe('artifactCodec hand-over', () => {
  it('views handed-over bytes once, then copies', () => {
    const bytes = handOver(arrayBytes(Float32Array.from([1.5, -2, 3.25])));
    const first = readFloat32({ a: bytes }, 'a');
    expect(Array.from(first)).toEqual([1.5, -2, 3.25]);
    expect(first.buffer).toBe(bytes.buffer);
    const second = readFloat32({ a: bytes }, 'a');
    expect(second.buffer).not.toBe(bytes.buffer);
    second[0] = 99;
    expect(first[0]).toBe(1.5);
  });

  it('copies bytes that are only part of their buffer, handed over or not', () => {
    const whole = arrayBytes(Int32Array.from([7, 8, 9, 10]));
    const part = handOver(whole.subarray(4, 12));
    const read = readInt32({ a: part }, 'a');
    expect(Array.from(read)).toEqual([8, 9]);
    expect(read.buffer).not.toBe(whole.buffer);
  });
});
