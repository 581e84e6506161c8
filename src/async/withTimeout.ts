// Bounds how long a caller waits on a promise whose dependency (Redis, a queue) may be unavailable.

/** Rejects with "timed out after <ms> ms" if `promise` has not settled by then; the promise itself runs on. */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms))),
  ]);
}
