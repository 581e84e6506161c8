// Picks the fastest TensorFlow.js backend present and is the only module that imports one.
// Order: tfjs-node-gpu, tfjs-node (optional native packages), wasm (SIMD), then the pure-JS cpu backend.
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { registerGatherRowsKernel } from './kernels/gatherRows';
import { registerUnsortedSegmentSumKernel } from './kernels/unsortedSegmentSum';

export { tf };

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

export interface BackendInfo {
  /** The TensorFlow.js backend name now active: 'tensorflow' (native), 'wasm' or 'cpu'. */
  name: BackendName;
  /** The package that provided it. */
  source: string;
  /** wasm only: whether the SIMD binary was loaded. */
  simd?: boolean;
  /** wasm only: whether the threaded binary was loaded (never in Node with tfjs 4.22). */
  threads?: boolean;
}

export type BackendLogger = (level: 'info' | 'warn', message: string) => void;

export interface InitBackendOptions {
  /** Receives the one line that says which backend was chosen (and the loud warning for cpu). */
  logger?: BackendLogger;
  /**
   * Restricts the candidates, best first. Tests use ['cpu'] or ['wasm'] to pin a backend;
   * production leaves it unset.
   */
  only?: BackendName[];
}

let pending: Promise<BackendInfo> | null = null;

/**
 * Chooses and activates a backend once per process; later calls return the same answer
 * (their options are ignored). Never throws: cpu is always there.
 */
export function initBackend(opts: InitBackendOptions = {}): Promise<BackendInfo> {
  if (pending === null) pending = choose(opts);
  return pending;
}

/** The backend chosen by initBackend, or null before it resolved. */
export function currentBackend(): string | null {
  return pending === null ? null : tf.getBackend();
}

async function choose(opts: InitBackendOptions): Promise<BackendInfo> {
  const allowed = (name: BackendName) => opts.only === undefined || opts.only.includes(name);
  const log = opts.logger ?? (() => {});
  // Prod mode drops per-op debug checks that cost time on every kernel call.
  tf.enableProdMode();

  if (allowed('tensorflow')) {
    for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
      if (tryRequire(pkg) && tf.findBackend('tensorflow') !== null && (await trySet('tensorflow'))) {
        const info: BackendInfo = { name: 'tensorflow', source: pkg };
        log('info', `TensorFlow.js backend: tensorflow (native, from ${pkg})`);
        return info;
      }
    }
  }

  if (allowed('wasm')) {
    // In Node the .wasm binaries sit next to the package's main file; point the loader there
    // explicitly so bundlers or a different cwd cannot make it look elsewhere.
    const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
    try {
      setWasmPaths(dist + path.sep);
    } catch {
      // setWasmPaths refuses once the wasm backend was initialised by someone else: keep theirs.
    }
    if (await trySet('wasm')) {
      registerUnsortedSegmentSumKernel();
      registerGatherRowsKernel();
      const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
      // tfjs 4.22 disables wasm threads under Node (tfjs issue #3830), so one core trains.
      const threads = Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'));
      log('info', `TensorFlow.js backend: wasm (simd ${simd ? 'on' : 'off'}, threads ${threads ? 'on' : 'off'})`);
      return { name: 'wasm', source: '@tensorflow/tfjs-backend-wasm', simd, threads };
    }
  }

  await tf.setBackend('cpu');
  log(
    'warn',
    'TensorFlow.js backend: cpu (pure JavaScript). Training will be 10-50x slower than on wasm and ' +
      'embedding gradients are very slow; check that @tensorflow/tfjs-backend-wasm is installed.',
  );
  return { name: 'cpu', source: '@tensorflow/tfjs-backend-cpu' };
}

function tryRequire(pkg: string): boolean {
  try {
    // A plain require of a variable keeps type-checking and bundlers from needing the optional package.
    const req: NodeJS.Require = require;
    req(pkg);
    return true;
  } catch {
    return false;
  }
}

async function trySet(name: string): Promise<boolean> {
  try {
    return await tf.setBackend(name);
  } catch {
    return false;
  }
}
