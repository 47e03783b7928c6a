import { describe, expect, it } from 'vitest';
import { drillObjectives, parseDuration } from './drill';

describe('drill objectives as typed', () => {
  it('reads 30m, 90s, 1h30m, 1.5m and a bare number of minutes', () => {
    expect(parseDuration('30m')).toBe(1_800_000);
    expect(parseDuration(' 90s ')).toBe(90_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('1.5m')).toBe(90_000);
    expect(parseDuration('5')).toBe(300_000);
    for (const wrong of ['', 'soon', '10 minutes', '-5m', '0s', 'm']) expect(parseDuration(wrong)).toBeUndefined();
  });

  it('sends only filled objectives of a drill, and names each field it cannot read', () => {
    expect(drillObjectives({ enabled: true, objectives: { run: '10m', p10: '', p20: 'later' } })).toEqual({
      objectives: { run: 600_000 },
      problems: { p20: expect.stringContaining('30m') },
    });
    expect(drillObjectives({ enabled: false, objectives: { run: 'later' } })).toEqual({ objectives: {}, problems: {} });
  });
});
