// Typed reads of the free-form hyper-parameter records that FitOptions.params and registry create(params) carry.

export type Params = Record<string, unknown>;

/** `params[name]` when it is a finite number (or a numeric string), else `fallback`. */
export function numberParam(params: Params | undefined, name: string, fallback: number): number {
  const v = params?.[name];
  const n = typeof v === 'string' ? Number(v) : v;
  return typeof n === 'number' && !Number.isNaN(n) ? n : fallback;
}

export function booleanParam(params: Params | undefined, name: string, fallback: boolean): boolean {
  const v = params?.[name];
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 1) return true;
  if (v === 'false' || v === 0) return false;
  return fallback;
}
