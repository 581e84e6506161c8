// Sentinel URLs: hosts, master name, database, credentials and TLS come out as ioredis options; plain URLs are
// left to ioredis; malformed Sentinel URLs are refused with a message.
import { sentinelOptionsFromUrl, RedisUrlError } from '../../src/redis/redisUrl';
import { loadConfig } from '../../src/config';

describe('sentinelOptionsFromUrl', () => {
  it('reads every sentinel, the master name and the database', () => {
    expect(sentinelOptionsFromUrl('redis+sentinel://10.0.0.1:26379,sentinel-2:26380,[::1]:26381/shop-master/2')).toEqual({
      sentinels: [
        { host: '10.0.0.1', port: 26379 },
        { host: 'sentinel-2', port: 26380 },
        { host: '::1', port: 26381 },
      ],
      name: 'shop-master',
      db: 2,
    });
  });

  it('passes credentials to the master and the sentinels, and TLS for rediss+sentinel', () => {
    expect(sentinelOptionsFromUrl('rediss+sentinel://app:s%40cret@h:26379/m')).toEqual({
      sentinels: [{ host: 'h', port: 26379 }],
      name: 'm',
      username: 'app',
      password: 's@cret',
      sentinelPassword: 's@cret',
      tls: {},
      enableTLSForSentinelMode: true,
    });
  });

  it('leaves plain URLs to ioredis and refuses malformed sentinel ones', () => {
    expect(sentinelOptionsFromUrl('redis://127.0.0.1:6379/1')).toBeNull();
    expect(() => sentinelOptionsFromUrl('redis+sentinel://h:26379')).toThrow(RedisUrlError);
    expect(() => sentinelOptionsFromUrl('redis+sentinel://h/m')).toThrow(/host:port/);
    expect(() => sentinelOptionsFromUrl('redis+sentinel://h:1/m/x')).toThrow(/not a number/);
  });

  it('is accepted and checked by the configuration', () => {
    expect(loadConfig({ REDIS_URL: 'redis+sentinel://h1:26379,h2:26379/m' }).redisUrl).toBe('redis+sentinel://h1:26379,h2:26379/m');
    expect(() => loadConfig({ REDIS_URL: 'redis+sentinel://h1:26379' })).toThrow(/REDIS_URL/);
    expect(() => loadConfig({ REDIS_URL: 'http://h:1' })).toThrow(/REDIS_URL/);
  });
});
