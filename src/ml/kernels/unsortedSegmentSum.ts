// UnsortedSegmentSum for the wasm backend, written in JS: tfjs-backend-wasm 4.22 lacks it, and it is
// the gradient of tf.gather, so without it no embedding table can train on wasm.
import * as tf from '@tensorflow/tfjs';

/** The slice of the wasm backend this kernel uses (the class is not exported in a usable form). */
interface WasmBackendLike {
  readSync(dataId: object): ArrayLike<number>;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/**
 * out[s, ...] = sum of x[r, ...] over rows r with segmentIds[r] = s. Rows whose id is negative or
 * ≥ numSegments are dropped, as TensorFlow does. segmentIds covers the leading dims of x.
 */
export function unsortedSegmentSumKernel(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo {
  const backend = args.backend as WasmBackendLike;
  const { x, segmentIds } = args.inputs;
  if (x === undefined || segmentIds === undefined) throw new Error('UnsortedSegmentSum needs inputs x and segmentIds');
  const numSegments = Number(args.attrs?.numSegments);
  const rows = segmentIds.shape.reduce((a, b) => a * b, 1);
  const innerShape = x.shape.slice(segmentIds.shape.length);
  const inner = innerShape.reduce((a, b) => a * b, 1);

  const ids = backend.readSync(segmentIds.dataId);
  const out = backend.makeOutput([numSegments, ...innerShape], x.dtype);
  // Heap views only now, after the last allocation: growing the wasm memory detaches older views.
  // x is viewed in place rather than copied out with readSync, which halves the kernel's time.
  const xs = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  dst.fill(0);
  for (let r = 0; r < rows; r++) {
    const s = ids[r];
    if (s < 0 || s >= numSegments) continue;
    const src = r * inner;
    const base = s * inner;
    for (let k = 0; k < inner; k++) dst[base + k] += xs[src + k];
  }
  return out;
}

let registered = false;

/** Registers the kernel for 'wasm' once; a later tfjs that ships its own keeps the native one. */
export function registerUnsortedSegmentSumKernel(): void {
  if (registered) return;
  registered = true;
  if (tf.getKernel('UnsortedSegmentSum', 'wasm') !== undefined) return;
  tf.registerKernel({
    kernelName: 'UnsortedSegmentSum',
    backendName: 'wasm',
    kernelFunc: unsortedSegmentSumKernel as unknown as tf.KernelFunc,
  });
}
