// `npm run watch -- --user <id>`: subscribes to a shopper's live list over graphql-ws and prints each push.
import WebSocket from 'ws';
import { createClient } from 'graphql-ws';
import { loadConfig } from '../config';

function arg(name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : fallback;
  if (!v) {
    console.error(`usage: npm run watch -- --user <userId> [--url ws://localhost:4000/graphql] [--limit 5]`);
    process.exit(2);
  }
  return v;
}

const config = loadConfig();
const url = arg('url', `ws://localhost:${config.port}/graphql`);
const client = createClient({ url, webSocketImpl: WebSocket, connectionParams: { Authorization: `Bearer ${config.clientApiKey}` } });
const query = `subscription($user: ID!, $limit: Int) { recommendationsUpdated(userId: $user, limit: $limit) {
  modelVersion generatedAt items { score item { id title } reasons { source explanation } } } }`;
console.error(`watching ${arg('user')} on ${url} (Ctrl-C to stop)`);
client.subscribe(
  { query, variables: { user: arg('user'), limit: Number(arg('limit', '5')) } },
  {
    next: (msg) => console.log(JSON.stringify(msg.data ?? msg.errors, null, 2)),
    error: (err) => {
      console.error('subscription failed:', err instanceof Error ? err.message : err);
      process.exit(1);
    },
    complete: () => process.exit(0),
  },
);
