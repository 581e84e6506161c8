// Builds the operations dashboard (web/) into dist/dashboard, which the API server serves at /dashboard/.
// Everything is bundled: the page loads nothing from outside the server.
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { defineConfig } from 'vite';

const webDir = path.dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root: webDir,
  base: '/dashboard/',
  logLevel: 'warn',
  build: {
    outDir: path.resolve(webDir, '../dist/dashboard'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
  },
});
