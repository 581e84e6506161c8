// The dashboard's transport: GraphQL queries and mutations over HTTP and subscriptions over graphql-ws, on the
// server that served the page, authenticated with the API key the operator signed in with.
import { createClient, type Client } from 'graphql-ws';

export interface GraphQLErrorShape {
  message: string;
  extensions?: { code?: string };
}

export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

export type ConnectionState = 'connecting' | 'live' | 'offline';

const HTTP_URL = '/graphql';

export class Api {
  private ws: Client | null = null;
  private readonly stateListeners = new Set<(s: ConnectionState) => void>();

  constructor(private readonly key: string) {}

  async request<T>(query: string, variables?: Record<string, unknown>): Promise<T> {
    const res = await fetch(HTTP_URL, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.key}` },
      body: JSON.stringify({ query, variables }),
    });
    let body: { data?: T; errors?: GraphQLErrorShape[] };
    try {
      body = await res.json();
    } catch {
      throw new ApiError(`The server answered ${res.status} without a GraphQL response`, 'HTTP_ERROR');
    }
    const err = body.errors?.[0];
    if (err) throw new ApiError(err.message, err.extensions?.code ?? 'UNKNOWN');
    return body.data as T;
  }

  /** Subscribes; `next` gets each result's data. Returns a function that unsubscribes. */
  subscribe<T>(query: string, variables: Record<string, unknown>, next: (data: T) => void, error?: (e: ApiError) => void): () => void {
    return this.client().subscribe<T>(
      { query, variables },
      {
        next: (msg) => {
          if (msg.errors?.length) error?.(new ApiError(msg.errors[0].message, String(msg.errors[0].extensions?.code ?? 'UNKNOWN')));
          if (msg.data) next(msg.data as T);
        },
        error: (e) => error?.(new ApiError(e instanceof Error ? e.message : 'subscription failed', 'SUBSCRIPTION_ERROR')),
        complete: () => undefined,
      },
    );
  }

  onConnectionState(listener: (s: ConnectionState) => void): void {
    this.stateListeners.add(listener);
  }

  close(): void {
    void this.ws?.dispose();
    this.ws = null;
  }

  private client(): Client {
    if (this.ws) return this.ws;
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${HTTP_URL}`;
    const emit = (s: ConnectionState) => this.stateListeners.forEach((l) => l(s));
    this.ws = createClient({
      url,
      connectionParams: { Authorization: `Bearer ${this.key}` },
      // Servers restart and deploy; keep trying, with graphql-ws's randomised backoff.
      retryAttempts: Infinity,
      shouldRetry: () => true,
      keepAlive: 15_000,
      on: {
        connecting: () => emit('connecting'),
        connected: () => emit('live'),
        closed: () => emit('offline'),
      },
    });
    return this.ws;
  }
}
