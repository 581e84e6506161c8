// Byte encoding of model artefacts: typed arrays as raw little-endian bytes, small settings as UTF-8 JSON.
// Bytes read back from a database may sit at any offset, so decoding copies into an aligned buffer, unless they
// were handed over whole.
import type { ModelArtifacts } from '../recommender';

type NumericArray = Int32Array | Float32Array | Float64Array | Uint8Array;

export function arrayBytes(array: NumericArray): Uint8Array {
  return new Uint8Array(array.buffer.slice(array.byteOffset, array.byteOffset + array.byteLength));
}

export function jsonBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}

function required(artifacts: ModelArtifacts, name: string): Uint8Array {
  const bytes = artifacts[name];
  if (!bytes) throw new Error(`model artefact "${name}" is missing (have: ${Object.keys(artifacts).join(', ')})`);
  return bytes;
}

/** Byte arrays handed over with their whole buffer (see handOver), not yet decoded. */
const handedOver = new WeakSet<Uint8Array>();

/**
 * Marks bytes that fill a buffer nobody else holds (an artefact just read from the database): the first decode of
 * them views that buffer instead of copying it, which spares a swap tens of milliseconds of synchronous copying on
 * a large model. Later decodes of the same bytes copy as usual, so two models never share an array.
 */
export function handOver(bytes: Uint8Array): Uint8Array {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) handedOver.add(bytes);
  return bytes;
}

function alignedCopy(bytes: Uint8Array, unit: number, name: string): ArrayBuffer {
  if (bytes.byteLength % unit !== 0) throw new Error(`model artefact "${name}" has ${bytes.byteLength} bytes, not a multiple of ${unit}`);
  if (handedOver.delete(bytes)) return bytes.buffer as ArrayBuffer;
  return bytes.slice().buffer as ArrayBuffer;
}

export function readInt32(artifacts: ModelArtifacts, name: string): Int32Array<ArrayBuffer> {
  return new Int32Array(alignedCopy(required(artifacts, name), 4, name));
}

export function readFloat32(artifacts: ModelArtifacts, name: string): Float32Array<ArrayBuffer> {
  return new Float32Array(alignedCopy(required(artifacts, name), 4, name));
}

export function readFloat64(artifacts: ModelArtifacts, name: string): Float64Array<ArrayBuffer> {
  return new Float64Array(alignedCopy(required(artifacts, name), 8, name));
}

export function readJson<T>(artifacts: ModelArtifacts, name: string): T {
  return JSON.parse(new TextDecoder().decode(required(artifacts, name))) as T;
}
