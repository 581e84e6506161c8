// Keyed pseudonyms: stable for one key, unrelated across keys, validated like any id, and off without a key.
import { UserIdPseudonymizer } from '../../src/domain/users/userIdPseudonymizer';
import { loadConfig } from '../../src/config';

describe('UserIdPseudonymizer', () => {
  const a = new UserIdPseudonymizer('k'.repeat(32));
  const b = new UserIdPseudonymizer('j'.repeat(32));

  it('maps an id to the same pseudonym every time, and different ids and keys to different ones', () => {
    expect(a.map('alice')).toBe(a.map('alice'));
    expect(a.map('alice')).not.toBe(a.map('alicf'));
    expect(a.map('alice')).not.toBe(b.map('alice'));
    expect(a.map('alice')).toMatch(/^u_[A-Za-z0-9_-]{27}$/);
    expect(a.mapper?.('alice')).toBe(a.map('alice'));
  });

  it('keeps ids as sent without a key, and validates them either way', () => {
    const off = new UserIdPseudonymizer(null);
    expect(off.check('alice', 'userId')).toBe('alice');
    expect(off.mapper).toBeUndefined();
    expect(() => a.check('', 'userId')).toThrow(/userId/);
    expect(() => a.check('bad\u0000id', 'userId')).toThrow(/control characters/);
  });

  it('refuses a short key in the configuration', () => {
    expect(() => loadConfig({ USER_ID_PSEUDONYM_KEY: 'short' })).toThrow(/USER_ID_PSEUDONYM_KEY/);
    expect(loadConfig({ USER_ID_PSEUDONYM_KEY: 'x'.repeat(32) }).userIdPseudonymKey).toBe('x'.repeat(32));
    expect(loadConfig({}).userIdPseudonymKey).toBeNull();
  });
});
