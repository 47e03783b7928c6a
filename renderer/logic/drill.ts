/**
 * The Start screen's drill objectives: durations as an operator types them (`30m`, `90s`, `1h30m`,
 * a bare number is minutes) turned into the milliseconds run:start takes. The engine checks the keys
 * against the runbook again; this only catches what can be seen while typing.
 */

/** The whole run's objective key (the engine's RUN_OBJECTIVE). */
export const RUN_OBJECTIVE = 'run';

export interface DrillFormValue {
  enabled: boolean;
  /** Objective per key (`run`, or a phase key), as typed; empty: no objective. */
  objectives: Record<string, string>;
}

export const NO_DRILL: DrillFormValue = { enabled: false, objectives: {} };

const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000 };

/** `1h30m` → 5 400 000; undefined when it is not a positive duration. */
export function parseDuration(text: string): number | undefined {
  const value = text.trim().toLowerCase().replace(/\s+/g, '');
  if (value === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * UNIT_MS.m) || undefined;
  if (!/^(\d+(\.\d+)?[hms])+$/.test(value)) return undefined;
  let total = 0;
  for (const [, amount, unit] of value.matchAll(/(\d+(?:\.\d+)?)([hms])/g)) total += Number(amount) * UNIT_MS[unit];
  return total > 0 ? Math.round(total) : undefined;
}

/** The objectives to send, or the problem of each field that cannot be read. */
export function drillObjectives(value: DrillFormValue): { objectives: Record<string, number>; problems: Record<string, string> } {
  const objectives: Record<string, number> = {};
  const problems: Record<string, string> = {};
  if (!value.enabled) return { objectives, problems };
  for (const [key, text] of Object.entries(value.objectives)) {
    if (text.trim() === '') continue;
    const ms = parseDuration(text);
    if (ms === undefined) problems[key] = 'a duration like 30m, 90s or 1h30m.';
    else objectives[key] = ms;
  }
  return { objectives, problems };
}
