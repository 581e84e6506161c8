import { loadConfig, ConfigError } from '../../src/config';

describe('loadConfig', () => {
  it('uses documented defaults and generates development keys', () => {
    const c = loadConfig({});
    expect(c.port).toBe(4000);
    expect(c.databaseUrl).toBe('postgresql://postgres@127.0.0.1:5432/freshrec');
    expect(c.keysGenerated).toBe(true);
    expect(c.adminApiKey).not.toBe(c.clientApiKey);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('refuses to start in production without keys, naming the variable', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/ADMIN_API_KEY/);
  });

  it.each([
    [{ PORT: 'abc' }, /PORT/],
    [{ DATABASE_URL: 'mysql://x/y' }, /DATABASE_URL/],
    [{ REDIS_URL: 'not a url' }, /REDIS_URL/],
    [{ ONLINE_UPDATES: 'maybe' }, /ONLINE_UPDATES/],
    [{ ADMIN_API_KEY: 'short' }, /ADMIN_API_KEY/],
    [{ REDIS_PREFIX: 'a b' }, /REDIS_PREFIX/],
    [{ ANN_ENGINE: 'faiss' }, /ANN_ENGINE/],
    [{ WORKER_NICE: '25' }, /WORKER_NICE/],
    [{ REDIS_URL: 'redis+sentinel://h:26379' }, /REDIS_URL/],
  ])('rejects %j with a message naming the variable', (env, pattern) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(pattern);
  });
});
