// A faster GatherV2 for the wasm backend when gathering whole rows (axis 0, no batch dims): the stock
// wasm kernel spends ~130 ms on the 24k-row gathers of one MF batch, this plain copy loop about 2 ms.
// Every other gather is handed to the stock kernel.
import * as tf from '@tensorflow/tfjs';

interface WasmBackendLike {
  readSync(dataId: object): ArrayLike<number>;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };

function makeGatherRows(fallback: tf.KernelFunc) {
  return function gatherRowsKernel(args: KernelArgs): tf.TensorInfo {
    const { x, indices } = args.inputs;
    const axis = Number(args.attrs?.axis ?? 0);
    const batchDims = Number(args.attrs?.batchDims ?? 0);
    if (x === undefined || indices === undefined || batchDims !== 0 || (axis !== 0 && axis !== -x.shape.length) || x.dtype === 'string') {
      return fallback(args as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
    }
    const backend = args.backend as WasmBackendLike;
    const rows = x.shape[0];
    const rowShape = x.shape.slice(1);
    const width = rowShape.reduce((a, b) => a * b, 1);
    const ids = backend.readSync(indices.dataId);
    for (let r = 0; r < ids.length; r++) {
      const id = ids[r];
      if (!(id >= 0 && id < rows)) throw new Error(`GatherV2: the index value ${id} is not in [0, ${rows - 1}]`);
    }
    const out = backend.makeOutput([...indices.shape, ...rowShape], x.dtype);
    // Heap views only after the last allocation: growing the wasm memory would detach them.
    const src = backend.typedArrayFromHeap(x);
    const dst = backend.typedArrayFromHeap(out);
    if (width === 1) {
      for (let r = 0; r < ids.length; r++) dst[r] = src[ids[r]];
    } else {
      for (let r = 0; r < ids.length; r++) {
        const from = ids[r] * width;
        dst.set(src.subarray(from, from + width), r * width);
      }
    }
    return out;
  };
}

let registered = false;

/** Swaps the wasm GatherV2 for the row-copy version, once; the stock kernel stays as the fallback. */
export function registerGatherRowsKernel(): void {
  if (registered) return;
  const stock = tf.getKernel('GatherV2', 'wasm');
  if (stock === undefined) return;
  registered = true;
  tf.unregisterKernel('GatherV2', 'wasm');
  tf.registerKernel({
    kernelName: 'GatherV2',
    backendName: 'wasm',
    setupFunc: stock.setupFunc,
    disposeFunc: stock.disposeFunc,
    kernelFunc: makeGatherRows(stock.kernelFunc) as unknown as tf.KernelFunc,
  });
}
