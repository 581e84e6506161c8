// A/B experiments through the API: an admin splits shoppers between the active version and a strategy variant of
// it; each shopper stays in the arm their id hashes to, every list served records its arm, clicks carrying a
// recommId give each arm its click-through with an interval and a z-test, and stopping ends the split.
import { createTestEnv, type TestEnv } from '../utils/testEnv';
import { startTestSystem, type TestSystem } from '../utils/testSystem';
import { gql, gqlOk, waitFor } from '../utils/graphqlClient';
import { seedPlantedShop } from '../utils/seedPlantedShop';
import { assignArm } from '../../src/domain/experiments/userBucketing';

const EXPERIMENT = `id name status share createdAt stoppedAt
  armA { modelVersion fusionStrategy label baseVersion }
  armB { modelVersion fusionStrategy label baseVersion }
  results {
    arms { arm users impressions ctr { successes trials rate low high } conversion { successes trials rate low high } }
    ctrTest { difference differenceLow differenceHigh relativeLift z pValue significant }
    conversionTest { pValue significant }
  }`;

describe('A/B experiments', () => {
  let env: TestEnv;
  let sys: TestSystem;
  const admin = (query: string, variables?: Record<string, unknown>) => gqlOk(sys.url, env.adminKey, query, variables);
  const shoppers = Array.from({ length: 60 }, (_, i) => `ab-shopper-${i}`);

  beforeAll(async () => {
    env = await createTestEnv();
    sys = await startTestSystem(env);
    await seedPlantedShop(sys, env);
  }, 90000);

  afterAll(async () => {
    await sys?.stop();
    await env?.drop();
  });

  it('splits shoppers stably by hash, records each list with its arm and measures click-through per arm', async () => {
    const activeId = String(sys.services.activeModel.get()!.versionId);
    const create = `mutation($input: CreateExperimentInput!) { createExperiment(input: $input) { ${EXPERIMENT} } }`;
    const input = { name: 'rrf vs fitted', armA: {}, armB: { fusionStrategy: 'RRF' }, share: 0.5 };
    const refused = await gql(sys.url, env.clientKey, create, { input });
    expect(refused.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const bad = await gql(sys.url, env.adminKey, create, { input: { ...input, share: 1.5 } });
    expect(bad.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');

    const { createExperiment: exp } = await admin(create, { input });
    expect(exp.status).toBe('running');
    expect(exp.armA).toMatchObject({ modelVersion: activeId, baseVersion: null });
    expect(exp.armB).toMatchObject({ fusionStrategy: 'RRF', baseVersion: activeId });
    expect(exp.armB.modelVersion).not.toBe(activeId);
    const again = await gql(sys.url, env.adminKey, create, { input: { ...input, name: 'second' } });
    expect(again.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');

    // Each shopper asks twice: both lists come from the arm their id hashes to.
    const served = new Map<string, { recommId: string; modelVersion: string; items: string[] }[]>();
    for (const user of shoppers) {
      for (let k = 0; k < 2; k++) {
        const { recommendations: r } = await gqlOk(sys.url, env.clientKey, `query($u: ID!) { recommendations(userId: $u, limit: 5) { recommId modelVersion items { item { id } } } }`, { u: user });
        const items = r.items.map((i: { item: { id: string } }) => i.item.id);
        served.set(user, [...(served.get(user) ?? []), { recommId: r.recommId, modelVersion: r.modelVersion, items }]);
      }
    }
    const expectedArm = (user: string) => assignArm(exp.id, user, 0.5);
    for (const [user, lists] of served) {
      const label = expectedArm(user) === 'A' ? exp.armA.label : exp.armB.label;
      expect(lists.map((l) => l.modelVersion)).toEqual([label, label]);
    }
    const inB = shoppers.filter((u) => expectedArm(u) === 'B');
    expect(inB.length).toBeGreaterThan(15);
    expect(inB.length).toBeLessThan(45);

    const impressions = await waitFor(async () => {
      const rows = await sys.services.db.impression.findMany({ where: { userId: { in: shoppers } }, select: { userId: true, arm: true, experimentId: true } });
      return rows.length === shoppers.length * 2 ? rows : null;
    }, 5000, 100);
    for (const row of impressions) {
      expect(row.experimentId).toBe(exp.id);
      expect(row.arm).toBe(expectedArm(row.userId!));
    }

    // Arm B's shoppers all click in their first list; arm A's only every fourth shopper does. Clicks are spread over
    // the list's items: dozens of brand-new users on one item within a minute would be flagged as a click farm.
    let clicksA = 0;
    let clicksB = 0;
    for (const [i, user] of shoppers.entries()) {
      const arm = expectedArm(user);
      if (arm === 'A' && i % 4 !== 0) continue;
      const list = served.get(user)![0];
      await gqlOk(sys.url, env.clientKey, `mutation($i: EventInput!) { trackEvent(input: $i) { accepted } }`, {
        i: { userId: user, itemId: list.items[i % list.items.length], type: 'CLICK', recommId: list.recommId },
      });
      if (arm === 'A') clicksA++;
      else clicksB++;
    }

    const { experiments } = await gqlOk(sys.url, env.clientKey, `query { experiments { ${EXPERIMENT} } }`);
    expect(experiments[0].id).toBe(exp.id);
    const [a, b] = experiments[0].results.arms;
    const nA = shoppers.length - inB.length;
    expect(a).toMatchObject({ arm: 'A', users: nA, impressions: 2 * nA, ctr: { successes: clicksA, trials: 2 * nA } });
    expect(b).toMatchObject({ arm: 'B', users: inB.length, impressions: 2 * inB.length, ctr: { successes: clicksB, trials: 2 * inB.length } });
    expect(b.ctr.rate).toBeCloseTo(0.5);
    expect(b.ctr.low).toBeLessThan(0.5);
    expect(b.ctr.high).toBeGreaterThan(0.5);
    const test = experiments[0].results.ctrTest;
    expect(test.difference).toBeCloseTo(b.ctr.rate - a.ctr.rate);
    expect(test.z).toBeGreaterThan(0);
    expect(test.significant).toBe(test.pValue < 0.05);
    expect(experiments[0].results.conversionTest.significant).toBe(false);

    const { stopExperiment } = await admin(`mutation($id: ID!) { stopExperiment(id: $id) { id status stoppedAt } }`, { id: exp.id });
    expect(stopExperiment.status).toBe('stopped');
    expect(stopExperiment.stoppedAt).toBeTruthy();
    const activeLabel = sys.services.activeModel.get()!.label;
    const bUser = inB[0];
    const after = await gqlOk(sys.url, env.clientKey, `query($u: ID!) { recommendations(userId: $u, limit: 5) { recommId modelVersion } }`, { u: bUser });
    expect(after.recommendations.modelVersion).toBe(activeLabel);
    const row = await waitFor(() => sys.services.db.impression.findUnique({ where: { recommId: after.recommendations.recommId } }), 5000, 100);
    expect(row).toMatchObject({ experimentId: null, arm: null });
  });
});
