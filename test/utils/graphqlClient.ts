// Test clients over the real transports: GraphQL over HTTP (fetch) and over WebSocket (graphql-ws).
import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';

export interface GraphQLResponse<T = Record<string, any>> {
  data?: T;
  errors?: { message: string; extensions?: { code?: string; [k: string]: unknown } }[];
}

export async function gql<T = Record<string, any>>(url: string, key: string | null, query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse<T>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as GraphQLResponse<T>;
}

/** Like gql but fails the test on any GraphQL error. */
export async function gqlOk<T = Record<string, any>>(url: string, key: string, query: string, variables?: Record<string, unknown>): Promise<T> {
  const res = await gql<T>(url, key, query, variables);
  if (res.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(res.errors)}`);
  return res.data as T;
}

export function wsClient(httpUrl: string, key: string): Client {
  return createClient({
    url: httpUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: { Authorization: `Bearer ${key}` },
    retryAttempts: 0,
    lazy: false,
  });
}

/** Subscribes and collects every pushed payload; `next(predicate)` waits for a matching one. */
export function collect<T>(client: Client, query: string, variables: Record<string, unknown>) {
  const received: T[] = [];
  const waiters: { predicate: (v: T) => boolean; resolve: (v: T) => void }[] = [];
  let failure: unknown = null;
  const dispose = client.subscribe<T>(
    { query, variables },
    {
      next: (msg) => {
        if (msg.errors) failure = msg.errors;
        const value = msg.data as T;
        received.push(value);
        for (const w of [...waiters]) {
          if (w.predicate(value)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(value);
          }
        }
      },
      error: (err) => (failure = err),
      complete: () => undefined,
    },
  );
  return {
    received,
    get failure() {
      return failure;
    },
    dispose,
    next(predicate: (v: T) => boolean = () => true, timeoutMs = 10000): Promise<T> {
      const hit = received.find(predicate);
      if (hit) return Promise.resolve(hit);
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching push within ${timeoutMs} ms; got ${JSON.stringify(received)}; failure ${JSON.stringify(failure)}`)), timeoutMs);
        waiters.push({ predicate, resolve: (v) => (clearTimeout(timer), resolve(v)) });
      });
    },
  };
}

export async function waitFor<T>(fn: () => Promise<T | undefined | null | false>, timeoutMs = 10000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
