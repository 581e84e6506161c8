import { contextFeatures, describeContext } from '../../src/domain/recommendations/contextPrior';

describe('context features', () => {
  it('reads device, country, page type and time from the context', () => {
    const f = contextFeatures({ device: 'Mobile', country: 'de', pageType: 'home', hour: 19, weekday: 'tuesday' }, new Date('2026-11-21T03:00:00Z'));
    expect(f).toEqual([
      { key: 'device', value: 'mobile' },
      { key: 'country', value: 'de' },
      { key: 'page', value: 'home' },
      { key: 'daypart', value: 'evening' },
      { key: 'week', value: 'weekday' },
    ]);
    expect(describeContext(f)).toBe('on mobile in DE on weekday evenings');
  });

  it('falls back to the clock for time and ignores odd values', () => {
    // 2026-11-21 is a Saturday; 03:00 UTC is night.
    const f = contextFeatures({ device: { nested: true }, hour: 99, timeOfDay: 'brunch' }, new Date('2026-11-21T03:00:00Z'));
    expect(f).toEqual([
      { key: 'daypart', value: 'night' },
      { key: 'week', value: 'weekend' },
    ]);
    expect(describeContext(f)).toBe('on weekend nights');
  });
});
