import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OpsError } from '../errors';
import { raw, renderTemplate, resolveTemplateValue, shellQuote, templateReferences, type TemplateScope } from './template';

const sandbox = mkdtempSync(join(tmpdir(), 'opsdeck-template-'));
const canary = join(sandbox, 'pwned');
afterAll(() => rmSync(sandbox, { recursive: true, force: true }));

/** Runs a command with /bin/sh in the sandbox and returns its stdout bytes. */
function sh(command: string): Buffer {
  return execFileSync('/bin/sh', ['-c', command], { cwd: sandbox });
}

const HOSTILE = [
  '; rm -rf /',
  `$(touch ${canary})`,
  `\`touch ${canary}\``,
  `a\ntouch ${canary}`,
  `it's`,
  `'; touch ${canary}; echo '`,
  `"$HOME" && touch ${canary}`,
  `*`,
  `-n`,
  `> ${canary}`,
  `| tee ${canary}`,
  `&& touch ${canary} &`,
  `\\' \\\\ \\`,
  'compute01 — Ünïcødé 計算 🚀',
  '  leading and trailing spaces  ',
  '',
  '$((1+1)) ${PATH} !!',
  '\r\n\t\u0007',
];

describe('renderTemplate in shell mode: captured values never become shell syntax', () => {
  it.each(HOSTILE)('%j arrives byte-exact and runs nothing', (value) => {
    const command = renderTemplate("printf '%s\\0' {{ captures.value }}", { captures: { value } });
    const output = sh(command);
    expect(output.equals(Buffer.from(`${value}\0`, 'utf8'))).toBe(true);
    expect(existsSync(canary)).toBe(false);
    expect(readdirSync(sandbox)).toEqual([]);
  });

  it('a list becomes one quoted word per item, each byte-exact', () => {
    const command = renderTemplate("printf '%s\\0' {{ captures.names }}", { captures: { names: HOSTILE } });
    const words = sh(command).toString('utf8').split('\0').slice(0, -1);
    expect(words).toEqual(HOSTILE);
    expect(existsSync(canary)).toBe(false);
  });

  it('join makes a list one word; json makes one JSON word', () => {
    const scope: TemplateScope = { captures: { ids: ['a b', "c'd"], server: { name: 'x; y' } } };
    const joined = sh(renderTemplate(`printf '%s\\0' {{ captures.ids | join(",") }}`, scope)).toString();
    expect(joined).toBe("a b,c'd\0");
    const json = sh(renderTemplate(`printf '%s\\0' {{ captures.server | json }}`, scope)).toString();
    expect(JSON.parse(json.slice(0, -1))).toEqual({ name: 'x; y' });
  });

  it('params, env vars, host and loop variables are quoted too', () => {
    const scope: TemplateScope = {
      params: { reason: 'maintenance; reboot' },
      env: { region: 'Region One' },
      host: 'compute01',
      locals: { instance: { ID: 'abc', 'Disabled Reason': 'it is; down' } },
    };
    expect(renderTemplate('x {{ params.reason }} {{ env.region }} {{ host }} {{ instance.ID }} {{ instance["Disabled Reason"] }}', scope)).toBe(
      "x 'maintenance; reboot' 'Region One' 'compute01' 'abc' 'it is; down'",
    );
  });

  it('inserts raw text only when asked: | raw, or a RawText profile word', () => {
    const scope: TemplateScope = {
      env: { rabbitmqctl: raw('podman exec rabbitmq-bundle-podman-0 rabbitmqctl'), plain: 'podman exec x' },
      captures: { flags: '-la' },
    };
    expect(renderTemplate('{{ env.rabbitmqctl }} list_queues', scope)).toBe('podman exec rabbitmq-bundle-podman-0 rabbitmqctl list_queues');
    expect(renderTemplate('{{ env.plain }}', scope)).toBe("'podman exec x'");
    expect(renderTemplate('{{ env.plain | raw }} ls', scope)).toBe('podman exec x ls');
    // Data (parameters, captures, loop variables) never: see template-quoting.test.ts.
    expect(() => renderTemplate('ls {{ captures.flags | raw }}', scope)).toThrow(/\| raw would run this value as shell code/);
  });

  it('refuses a NUL byte rather than silently cutting the argument', () => {
    expect(() => renderTemplate('echo {{ captures.x }}', { captures: { x: 'a\0b' } })).toThrow(OpsError);
  });

  it('shellQuote handles quotes', () => {
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });
});

describe('renderTemplate in text mode', () => {
  it('inserts values as they are, lists joined with commas', () => {
    const scope: TemplateScope = { params: { hosts: ['compute01', 'compute02'], n: 3, yes: true }, run: { operator: 'ana' } };
    expect(renderTemplate('Drain {{ params.hosts }} ({{ params.n }}, {{ params.yes }}) by {{ run.operator }}', scope, 'text')).toBe('Drain compute01, compute02 (3, true) by ana');
  });

  it('default() fills in missing, null and empty values', () => {
    expect(renderTemplate('{{ captures.x | default("none") }}', { captures: {} }, 'text')).toBe('none');
    expect(renderTemplate('{{ captures.x | default("none") }}', { captures: { x: '' } }, 'text')).toBe('none');
    expect(renderTemplate('{{ captures.x | default("none") }}', { captures: { x: 'v' } }, 'text')).toBe('v');
  });

  it('{{ "{{" }} writes a literal', () => {
    expect(renderTemplate('a {{ "{{" }} b', {}, 'text')).toBe('a {{ b');
  });
});

describe('undefined references', () => {
  it('throw an OpsError with code template naming the reference', () => {
    try {
      renderTemplate('echo {{ captures.instances }}', { captures: {} });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(OpsError);
      expect((error as OpsError).code).toBe('template');
      expect((error as OpsError).userMessage).toContain('captures.instances');
    }
  });

  it('do not reach through the prototype', () => {
    expect(() => renderTemplate('{{ params.constructor }}', { params: {} })).toThrow(/params.constructor/);
    expect(() => renderTemplate('{{ params.__proto__ }}', { params: {} })).toThrow(OpsError);
  });
});

describe('templateReferences', () => {
  it('lists every reference with its path and offset', () => {
    const text = 'a {{ params.host }} {{ instance["Disabled Reason"] | default("x") }} {{ captures.ids[0] | join(",") }}';
    expect(templateReferences(text).map((ref) => [ref.root, ref.path, ref.offset, ref.hasDefault])).toEqual([
      ['params', ['host'], 2, false],
      ['instance', ['Disabled Reason'], 20, true],
      ['captures', ['ids', 0], 69, false],
    ]);
  });

  it.each([
    ['{{ params.x', 'no closing'],
    ['{{ }}', 'needs a name'],
    ['{{ params.x | upper }}', 'unknown filter'],
    ['{{ params.x | join }}', 'join(",")'],
    ['{{ params[%] }}', 'a number, a quoted key or a reference'],
    ['{{ params.x y }}', 'unexpected text'],
  ])('%j is malformed (%s)', (text, phrase) => {
    expect(() => templateReferences(text)).toThrow(phrase);
  });
});

describe('resolveTemplateValue', () => {
  it('keeps a list a list when the template is one expression', () => {
    expect(resolveTemplateValue(' {{ captures.ids }} ', { captures: { ids: ['a', 'b'] } })).toEqual(['a', 'b']);
    expect(resolveTemplateValue('compute', {})).toBe('compute');
    expect(resolveTemplateValue('{{ params.h }}-x', { params: { h: 'c1' } })).toBe('c1-x');
  });
});

describe('an index that is a reference: env.bmc[params.host]', () => {
  const scope: TemplateScope = {
    params: { host: 'compute02', hosts: ['compute01'], index: 1 },
    env: { bmc: { compute01: { address: '10.0.0.21', port: 623 }, compute02: { address: '10.0.0.22', port: 6230 } } },
    captures: { names: ['a', 'b'] },
  };

  it('looks the inner reference up first and uses its value as the key', () => {
    expect(renderTemplate('{{ env.bmc[params.host].address }}:{{ env.bmc[params.host].port }}', scope, 'text')).toBe('10.0.0.22:6230');
    expect(renderTemplate('{{ captures.names[params.index] }}', scope, 'text')).toBe('b');
    expect(resolveTemplateValue('{{ env.bmc[params.host] }}', scope)).toEqual({ address: '10.0.0.22', port: 6230 });
  });

  it('a key that names nothing is undefined, so default() applies; without a default it is an error naming the path', () => {
    const other = { ...scope, params: { host: 'compute09' } };
    expect(renderTemplate('{{ env.bmc[params.host].address | default("") }}', other, 'text')).toBe('');
    expect(() => renderTemplate('{{ env.bmc[params.host].address }}', other, 'text')).toThrow(/env\.bmc\[params\.host\]\.address, which is not defined/);
    // A list is not a key.
    expect(renderTemplate('{{ env.bmc[params.hosts].address | default("none") }}', scope, 'text')).toBe('none');
  });

  it('is quoted in a command like any value', () => {
    const hostile = { ...scope, env: { bmc: { compute02: { address: '$(id)' } } } };
    expect(renderTemplate('ping {{ env.bmc[params.host].address }}', hostile, 'shell')).toBe(`ping '$(id)'`);
  });

  it('reports the inner reference to the validator too', () => {
    const references = templateReferences('{{ env.bmc[params.host].address }}');
    expect(references.map((reference) => `${reference.root} ${reference.source}`)).toEqual(['env env.bmc[params.host].address', 'params params.host']);
  });
});
