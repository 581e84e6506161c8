// Signing in: the API key is checked against the server, its role found out (admin keys may promote, roll back,
// retrain and run experiments), and kept in this tab's sessionStorage only, never in localStorage.
import { Api, ApiError } from './graphqlClient';

export type Role = 'admin' | 'client';

export interface Session {
  api: Api;
  role: Role;
}

const STORAGE_KEY = 'freshrec.dashboard.key';

export async function signIn(key: string): Promise<Session> {
  const api = new Api(key.trim());
  try {
    await api.request('query { metrics(window: "30s") { at } }');
  } catch (err) {
    if (err instanceof ApiError && err.code === 'UNAUTHENTICATED') throw new Error('This API key was not accepted (unknown or revoked).');
    throw err;
  }
  let role: Role = 'admin';
  try {
    await api.request('query { activeModel { id } }');
  } catch (err) {
    if (!(err instanceof ApiError) || err.code !== 'FORBIDDEN') throw err;
    role = 'client';
  }
  sessionStorage.setItem(STORAGE_KEY, key.trim());
  return { api, role };
}

export function rememberedKey(): string | null {
  return sessionStorage.getItem(STORAGE_KEY);
}

export function signOut(session: Session | null): void {
  sessionStorage.removeItem(STORAGE_KEY);
  session?.api.close();
}
