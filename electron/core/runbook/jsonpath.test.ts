import { describe, expect, it } from 'vitest';
import { OpsError } from '../errors';
import { parseJsonPath, selectJson } from './jsonpath';

const DATA = { servers: [{ name: 'a', 'Disabled Reason': 'x' }, { name: 'b' }], count: 2 };

describe('selectJson', () => {
  it.each([
    ['servers[0].name', ['a'], false],
    ['$.servers[1].name', ['b'], false],
    ['$servers[-1].name', ['b'], false],
    ['servers[*].name', ['a', 'b'], true],
    ['servers.*.name', ['a', 'b'], true],
    ["servers[0]['Disabled Reason']", ['x'], false],
    ['servers[*]["Disabled Reason"]', ['x'], true],
    ['count', [2], false],
    ['$', [DATA], false],
    ['', [DATA], false],
    ['missing.deeper', [], false],
    ['count[0]', [], false],
    ['servers[9]', [], false],
  ])('%s', (path, values, multiple) => {
    expect(selectJson(DATA, path)).toEqual({ values, multiple });
  });

  it('does not follow the prototype', () => {
    expect(selectJson({}, 'constructor').values).toEqual([]);
  });
});

describe('parseJsonPath', () => {
  it.each(['[*', 'a..b', 'a[x]', "a['x]", 'a b'])('%j is refused with a clear message', (path) => {
    expect(() => parseJsonPath(path)).toThrow(OpsError);
    expect(() => parseJsonPath(path)).toThrow(/is not a valid JSON path/);
  });
});
