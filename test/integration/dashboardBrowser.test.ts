// The dashboard in headless Chromium against a real system: sign in with an API key, watch the events counter
// rise while events are sent, follow a shopper whose list changes live, see an experiment's arms, and keep a
// screenshot in test/artifacts/ for people to look at. The page must load nothing from elsewhere and log no errors.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createTestEnv, type TestEnv } from '../utils/testEnv';
import { startTestSystem, type TestSystem } from '../utils/testSystem';
import { gqlOk, waitFor } from '../utils/graphqlClient';
import { seedPlantedShop } from '../utils/seedPlantedShop';
import { complementOf } from '../fixtures/plantedShop';

const ROOT = path.resolve(__dirname, '../..');
const BUILT = path.join(ROOT, 'dist/dashboard/index.html');
const ARTIFACTS = path.join(ROOT, 'test/artifacts');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// The machine has no outside network; without these Chromium keeps trying to reach Google's services.
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function newestMtime(dir: string): number {
  return Math.max(
    0,
    ...readdirSync(dir, { withFileTypes: true }).map((d) => (d.isDirectory() ? newestMtime(path.join(dir, d.name)) : statSync(path.join(dir, d.name)).mtimeMs)),
  );
}

/** `npm run build:web` normally runs before the tests; build here too when the bundle is missing or older than web/. */
function ensureDashboardBuilt(): void {
  if (existsSync(BUILT) && statSync(BUILT).mtimeMs >= newestMtime(path.join(ROOT, 'web'))) return;
  execFileSync(path.join(ROOT, 'node_modules/.bin/vite'), ['build', '--config', 'web/vite.config.ts'], { cwd: ROOT, stdio: 'pipe' });
}

const numberIn = (text: string | null) => Number((text ?? '').replace(/[^0-9.]/g, ''));

describe('operations dashboard in a browser', () => {
  let env: TestEnv;
  let sys: TestSystem;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const base = () => sys.url.replace(/\/graphql$/, '');
  const client = (query: string, variables?: Record<string, unknown>) => gqlOk(sys.url, env.clientKey, query, variables);

  beforeAll(async () => {
    ensureDashboardBuilt();
    env = await createTestEnv();
    sys = await startTestSystem(env);
    await seedPlantedShop(sys, env);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1440, height: 1000 }, deviceScaleFactor: 1 });
    page.on('console', (msg) => msg.type() === 'error' && problems.push(`console: ${msg.text()}`));
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('request', (req) => {
      if (!req.url().startsWith(base()) && !req.url().startsWith(base().replace('http', 'ws')) && !req.url().startsWith('data:')) problems.push(`outside request: ${req.url()}`);
    });
  }, 120000);

  afterAll(async () => {
    await browser?.close();
    await sys?.stop();
    await env?.drop();
  });

  it('signs in, counts events live, follows a shopper and a retrain, and shows an experiment', async () => {
    await page.goto(`${base()}/dashboard`);
    await page.getByTestId('api-key').fill('not-a-real-key-at-all');
    await page.getByTestId('login').click();
    await page.getByTestId('login-error').filter({ hasText: /API key/ }).waitFor();
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-sign-in.png') });

    await page.getByTestId('api-key').fill(env.adminKey);
    await page.getByTestId('login').click();
    await page.locator('.role-admin').waitFor();
    await page.getByTestId('connection').filter({ hasText: 'live' }).waitFor({ timeout: 10000 });
    const total = page.getByTestId('events-total');
    await total.filter({ hasText: /\d/ }).waitFor();
    const before = numberIn(await total.textContent());

    // Traffic while the page watches: a few batches of views and clicks over two seconds.
    for (let round = 0; round < 4; round++) {
      const inputs = Array.from({ length: 10 }, (_, i) => ({ userId: `browser-${i}`, itemId: `p-kitchen-${(round + i) % 10}`, type: i % 3 ? 'VIEW' : 'CLICK' }));
      await client(`mutation($inputs: [EventInput!]!) { trackEvents(inputs: $inputs) { accepted } }`, { inputs });
      await new Promise((r) => setTimeout(r, 500));
    }
    await waitFor(async () => numberIn(await total.textContent()) >= before + 40, 10000, 200);

    // Watch a shopper: their current list first, then the list pushed after their event.
    await page.getByTestId('shopper-id').fill('watched-shopper');
    await page.getByTestId('watch').click();
    await page.getByTestId('shopper-status').filter({ hasText: 'current list' }).waitFor();
    const touched = 'p-outdoor-2';
    await client(`mutation { trackEvent(input: { userId: "watched-shopper", itemId: "${touched}", type: VIEW }) { accepted } }`);
    await page.getByTestId('shopper-status').filter({ hasText: 'update 1' }).waitFor({ timeout: 15000 });
    await expect(page.getByTestId('shopper-list').locator('li').first().getAttribute('data-item-id')).resolves.toBe(complementOf(touched));

    // A retrain started from the page is followed live to its end (pop and itemknn report no loss to plot).
    await page.getByTestId('retrain').click();
    await page.locator('.training-live .pill').filter({ hasText: /completed|failed/ }).waitFor({ timeout: 60000 });
    expect(await page.locator('.training-live .pill').textContent()).toBe('completed');

    // An experiment with traffic and clicks, so the A/B panel has numbers to show.
    const { createExperiment } = await gqlOk(sys.url, env.adminKey, `mutation { createExperiment(input: { name: "RRF against the fitted fusion", armA: {}, armB: { fusionStrategy: RRF }, share: 0.5 }) { id } }`);
    expect(createExperiment.id).toBeTruthy();
    for (let u = 0; u < 24; u++) {
      const { recommendations: r } = await client(`query($u: ID!) { recommendations(userId: $u, limit: 5) { recommId items { item { id } } } }`, { u: `ab-${u}` });
      if (u % 3 !== 1) await client(`mutation($i: EventInput!) { trackEvent(input: $i) { accepted } }`, { i: { userId: `ab-${u}`, itemId: r.items[u % 5].item.id, type: u % 6 === 0 ? 'PURCHASE' : 'CLICK', recommId: r.recommId } });
    }
    await page.locator('.experiment tr[data-arm="B"]').waitFor({ timeout: 10000 });
    await page.locator('.verdict').first().filter({ hasText: /p [=<]/ }).waitFor({ timeout: 10000 });
    await page.locator('table.data tr.is-active').first().waitFor();
    // Online quality is measured from Postgres every few seconds: wait for the lists just served to show.
    await page.locator('.card', { hasText: 'Online quality' }).locator('table').first().waitFor({ timeout: 15000 });
    // Let the live panels catch up with the last requests before the picture.
    await page.waitForTimeout(2500);

    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard.png'), fullPage: true });
    expect(problems).toEqual([]);
  }, 180000);
});
