// Artefacts stored through ModelVersionStore and read back as a binary COPY stream from the real Postgres: every
// byte comes back, across many network chunks and for empty and odd-sized values, and the connection is reusable.
import { randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import { createPrismaClient, type Db } from '../../src/db/prismaClient';
import { createPgPool } from '../../src/db/pgPool';
import { ModelVersionStore } from '../../src/domain/models/modelVersionStore';
import { createTestEnv, type TestEnv } from '../utils/testEnv';

let env: TestEnv;
let db: Db;
let pool: Pool;
let store: ModelVersionStore;

beforeAll(async () => {
  env = await createTestEnv();
  db = createPrismaClient(env.databaseUrl, 2);
  pool = createPgPool(env.databaseUrl, 1);
  store = new ModelVersionStore(db, pool);
});

afterAll(async () => {
  await pool.end();
  await db.$disconnect();
  await env.drop();
});

const RESULT = { metrics: {}, dataWindow: {}, trainSeconds: 1 };

describe('ModelVersionStore.artifacts', () => {
  it('returns exactly the bytes stored, for values spanning many chunks, odd sizes and empty ones', async () => {
    const stored = {
      // 6 MiB of random bytes: incompressible (Postgres keeps it out of line, uncompressed) and many socket reads long.
      sims: new Uint8Array(randomBytes(6 * 2 ** 20)),
      // Compressible: Postgres stores it compressed, and decompresses it before COPY sends it.
      offsets: new Uint8Array(Int32Array.from({ length: 300_000 }, (_, i) => i * 3).buffer),
      odd: new Uint8Array(randomBytes(4097)),
      empty: new Uint8Array(0),
      'vocab é.json': new TextEncoder().encode(JSON.stringify(['a', 'b', 'ü'])),
    };
    const version = await store.create('itemknn', {});
    await store.complete(version.id, stored, RESULT);
    const other = await store.create('pop', {});
    await store.complete(other.id, { counts: new Uint8Array([1, 2, 3]) }, RESULT);

    const read = await store.artifacts(version.id);
    expect(Object.keys(read).sort()).toEqual(Object.keys(stored).sort());
    for (const [name, bytes] of Object.entries(stored)) expect(Buffer.from(read[name]).equals(Buffer.from(bytes))).toBe(true);
    // The one pooled connection went back in a usable state: the next read runs on it.
    expect(await store.artifacts(other.id)).toEqual({ counts: new Uint8Array([1, 2, 3]) });
  });

  it('returns no artefacts for a version that has none, and refuses an id that is not an integer', async () => {
    const version = await store.create('pop', {});
    expect(await store.artifacts(version.id)).toEqual({});
    await expect(store.artifacts(1.5)).rejects.toThrow(/integer/);
  });
});
