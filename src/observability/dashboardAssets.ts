// Serves the operations dashboard, built by Vite from web/ into dist/dashboard (npm run build:web), under
// /dashboard/. The server builds nothing: without a build it says how to make one. Hashed assets are cached
// for good; index.html never is, so a rebuilt dashboard is picked up on the next load.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';

export const DASHBOARD_PATH = '/dashboard';
export const DASHBOARD_DIR = path.resolve(__dirname, '../../dist/dashboard');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.map': 'application/json',
  '.woff2': 'font/woff2',
};

// Everything the page loads comes from this server; the API is reached over fetch and WebSocket on the same origin.
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

const SAFE_FILE = /^(assets\/)?[A-Za-z0-9._-]+$/;

export async function serveDashboard(req: IncomingMessage, res: ServerResponse, pathname: string, dir = DASHBOARD_DIR): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD' }).end();
    return;
  }
  if (pathname === DASHBOARD_PATH) {
    res.writeHead(308, { location: `${DASHBOARD_PATH}/` }).end();
    return;
  }
  const relative = pathname.slice(DASHBOARD_PATH.length + 1) || 'index.html';
  if (!SAFE_FILE.test(relative) || relative.includes('..')) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    return;
  }
  const file = path.join(dir, relative);
  const info = await stat(file).catch(() => null);
  if (!info?.isFile()) {
    if (relative === 'index.html') {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('The dashboard is not built: run `npm run build:web` and reload.\n');
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    }
    return;
  }
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
    'content-length': info.size,
    'cache-control': relative.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  await new Promise<void>((resolve, reject) => {
    const stream = createReadStream(file);
    stream.on('error', reject);
    res.on('close', resolve);
    stream.pipe(res);
  });
}
