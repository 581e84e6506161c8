// Open-loop event traffic: `trackEvent` calls at a fixed rate whatever the answers' speed (a storefront does
// not wait for the last shopper's event before sending the next), over keep-alive HTTP connections.
import http from 'node:http';
import { setMaxListeners } from 'node:events';
import { createRng, randInt } from '../ml/random';
import type { TrafficModel } from './benchData';
import { shopperAddress } from './httpLoad';

export interface SentEvent {
  eventId: string;
  userId: string;
  /** performance.now() when the request was sent, and when its answer arrived (null: no answer). */
  sentAt: number;
  answeredAt: number | null;
  accepted: boolean;
  /** Why an event was not acknowledged: the HTTP status, the GraphQL error code, or the connection error. */
  failure?: string;
}

const TRACK = `mutation($i: EventInput!) { trackEvent(input: $i) { eventId accepted } }`;

function post(agent: http.Agent, url: URL, headers: Record<string, string>, body: string, signal: AbortSignal, retried = false): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { agent, signal, host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { ...headers, 'content-length': Buffer.byteLength(body) } },
      (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (data += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
      },
    );
    // Generous: an overloaded server answering late is measured as late, not as lost.
    req.setTimeout(120_000, () => req.destroy(new Error('timeout')));
    req.on('error', (err: Error & { code?: string }) => {
      // The server closed an idle keep-alive connection just as this request went out on it: the request never
      // reached it, so send it again once, as an HTTP client should (trackEvent is idempotent by eventId anyway).
      if (!retried && req.reusedSocket && err.code === 'ECONNRESET') post(agent, url, headers, body, signal, true).then(resolve, reject);
      else reject(err);
    });
    req.end(body);
  });
}

/**
 * Sends `rate` events per second for `seconds` to the API servers in turn, shoppers drawn from the first
 * `users` of the traffic model; resolves once every request has been answered or has failed, or `graceMs`
 * after the last was due: an overloaded server would otherwise keep the run going for as long as its
 * backlog lasts. Requests still unanswered then are abandoned (never acknowledged, so never counted stored).
 */
export async function sendPacedEvents(opts: {
  apiUrls: string[];
  clientKey: string;
  traffic: TrafficModel;
  users: number;
  rate: number;
  seconds: number;
  label: string;
  graceMs?: number;
  onTick?: (sent: number, answered: number) => void;
}): Promise<SentEvent[]> {
  const rng = createRng(opts.label.length * 104729 + 5);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 128 });
  const abandon = new AbortController();
  // Every request in flight listens on the one signal.
  setMaxListeners(0, abandon.signal);
  const urls = opts.apiUrls.map((u) => new URL(u));
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${opts.clientKey}` };
  const total = Math.round(opts.rate * opts.seconds);
  const sent: SentEvent[] = [];
  const inFlight: Promise<void>[] = [];
  let answered = 0;
  const started = performance.now();
  let lastTick = started;
  try {
    while (sent.length < total) {
      // Catch up to the schedule: after a stall (GC, a busy core) the missed events go out at once.
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * opts.rate));
      while (sent.length < due) {
        const u = randInt(rng, opts.users);
        const e = opts.traffic.next(u, rng);
        const record: SentEvent = { eventId: `${opts.label}-${sent.length}`, userId: e.userId, sentAt: performance.now(), answeredAt: null, accepted: false };
        sent.push(record);
        const body = JSON.stringify({ query: TRACK, variables: { i: { eventId: record.eventId, userId: e.userId, itemId: e.itemId, type: e.type } } });
        const url = urls[sent.length % urls.length];
        inFlight.push(
          post(agent, url, { ...headers, 'x-forwarded-for': shopperAddress(u) }, body, abandon.signal).then(
            (res) => {
              record.answeredAt = performance.now();
              answered++;
              if (res.status === 200) {
                const reply = JSON.parse(res.body) as { data?: { trackEvent?: { accepted: boolean } }; errors?: { extensions?: { code?: string } }[] };
                record.accepted = reply.data?.trackEvent?.accepted === true;
                if (!record.accepted) record.failure = reply.errors?.[0]?.extensions?.code ?? 'not accepted';
              } else record.failure = `HTTP ${res.status}`;
            },
            (err: Error & { code?: string }) => {
              answered++;
              // Abandoned at the end of the run stays unanswered ("no answer"), unlike a connection that failed.
              if (err.name === 'AbortError') return;
              record.answeredAt = performance.now();
              record.failure = err.code ?? err.message;
            },
          ),
        );
      }
      if (performance.now() - lastTick > 5000) {
        lastTick = performance.now();
        opts.onTick?.(sent.length, answered);
      }
      await new Promise((r) => setTimeout(r, 2));
    }
    const settled = Promise.all(inFlight);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([settled, new Promise((r) => (timer = setTimeout(r, opts.graceMs ?? 60_000)))]);
    clearTimeout(timer);
    abandon.abort();
    await settled;
  } finally {
    agent.destroy();
  }
  return sent;
}
