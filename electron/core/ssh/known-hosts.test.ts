import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprintOf, KnownHostsFile, keyTypeOfBlob, parseKnownHosts, verifyHostKey } from './known-hosts';

interface TestKey {
  type: string;
  base64: string;
  blob: Buffer;
  pubFile: string;
}

let dir: string;
let keyA: TestKey;
let keyB: TestKey;
let keyEcdsa: TestKey;

function makeKey(name: string, type: 'ed25519' | 'ecdsa'): TestKey {
  const file = path.join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', '', '-f', file]);
  const [keyType, base64] = readFileSync(`${file}.pub`, 'utf8').trim().split(' ');
  return { type: keyType, base64, blob: Buffer.from(base64, 'base64'), pubFile: `${file}.pub` };
}

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'opsdeck-known-hosts-'));
  keyA = makeKey('a', 'ed25519');
  keyB = makeKey('b', 'ed25519');
  keyEcdsa = makeKey('c', 'ecdsa');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function verify(text: string, names: string[], port: number, key: TestKey) {
  return verifyHostKey(parseKnownHosts(text), names, port, key.type, key.blob);
}

describe('known_hosts', () => {
  it('computes fingerprints exactly as ssh-keygen -lf does', () => {
    const printed = execFileSync('ssh-keygen', ['-lf', keyA.pubFile], { encoding: 'utf8' }).split(' ')[1];
    expect(fingerprintOf(keyA.blob)).toBe(printed);
    expect(keyTypeOfBlob(keyA.blob)).toBe('ssh-ed25519');
  });

  it('matches plain names, comma lists and [host]:port for other ports', () => {
    const text = `# comment\n\nalpha,10.0.0.1 ${keyA.type} ${keyA.base64}\n[10.0.0.2]:2222 ${keyA.type} ${keyA.base64}\n`;
    expect(verify(text, ['alpha'], 22, keyA)).toEqual({ status: 'known', line: 3 });
    expect(verify(text, ['10.0.0.1'], 22, keyA)).toEqual({ status: 'known', line: 3 });
    expect(verify(text, ['10.0.0.2'], 2222, keyA)).toEqual({ status: 'known', line: 4 });
    // A port-22 entry does not cover another port, as in OpenSSH.
    expect(verify(text, ['alpha'], 2222, keyA)).toEqual({ status: 'unknown', otherKeyTypes: [] });
    expect(verify(text, ['10.0.0.2'], 22, keyA).status).toBe('unknown');
    expect(verify(text, ['ALPHA'], 22, keyA).status).toBe('known');
  });

  it('reports a changed key of the same type with the line and the expected fingerprint', () => {
    const text = `alpha ${keyA.type} ${keyA.base64}\n`;
    expect(verify(text, ['alpha'], 22, keyB)).toEqual({
      status: 'changed',
      line: 1,
      expectedFingerprint: fingerprintOf(keyA.blob),
    });
  });

  it('treats a key of a type the host has no entry for as unknown, naming the known types', () => {
    const text = `alpha ${keyA.type} ${keyA.base64}\n`;
    expect(verify(text, ['alpha'], 22, keyEcdsa)).toEqual({ status: 'unknown', otherKeyTypes: ['ssh-ed25519'] });
  });

  it('accepts a key when another line for the host has it, even if an earlier line differs', () => {
    const text = `alpha ${keyB.type} ${keyB.base64}\nalpha ${keyA.type} ${keyA.base64}\n`;
    expect(verify(text, ['alpha'], 22, keyA)).toEqual({ status: 'known', line: 2 });
  });

  it('supports wildcards and negation', () => {
    const text = `*.example.com,!bad.example.com ${keyA.type} ${keyA.base64}\nnode?? ${keyA.type} ${keyA.base64}\n`;
    expect(verify(text, ['db.example.com'], 22, keyA).status).toBe('known');
    expect(verify(text, ['bad.example.com'], 22, keyA).status).toBe('unknown');
    expect(verify(text, ['node01'], 22, keyA).status).toBe('known');
    expect(verify(text, ['node001'], 22, keyA).status).toBe('unknown');
  });

  it('refuses @revoked keys and ignores @cert-authority lines', () => {
    const text = `@cert-authority *.example.com ${keyB.type} ${keyB.base64}\n` + `@revoked * ${keyB.type} ${keyB.base64}\n` + `alpha ${keyA.type} ${keyA.base64}\n`;
    expect(verify(text, ['alpha'], 22, keyB)).toEqual({ status: 'revoked', line: 2 });
    expect(verify(text, ['alpha'], 22, keyA).status).toBe('known');
    expect(verify(text, ['x.example.com'], 22, keyA).status).toBe('unknown');
  });

  it('skips malformed lines without crashing', () => {
    const text = `garbage\nalpha ssh-ed25519 notbase64!!\n@weird alpha ${keyA.type} ${keyA.base64}\nalpha ${keyA.type} ${keyA.base64}\n`;
    expect(parseKnownHosts(text).map((entry) => entry.line)).toEqual([4]);
  });

  it('verifies entries hashed by the real ssh-keygen -H', async () => {
    const file = path.join(dir, 'hashed_known_hosts');
    writeFileSync(file, `alpha ${keyA.type} ${keyA.base64}\n[10.0.0.2]:2222 ${keyEcdsa.type} ${keyEcdsa.base64}\n`);
    execFileSync('ssh-keygen', ['-q', '-H', '-f', file], { stdio: 'ignore' });
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain('alpha');
    expect(text).toMatch(/^\|1\|/);
    const knownHosts = new KnownHostsFile(file);
    expect((await knownHosts.verify(['alpha'], 22, keyA.type, keyA.blob)).status).toBe('known');
    expect((await knownHosts.verify(['10.0.0.2'], 2222, keyEcdsa.type, keyEcdsa.blob)).status).toBe('known');
    expect((await knownHosts.verify(['alpha'], 22, keyB.type, keyB.blob)).status).toBe('changed');
    expect((await knownHosts.verify(['beta'], 22, keyA.type, keyA.blob)).status).toBe('unknown');
  });

  it('appends lines ssh-keygen -F finds, plain and hashed, creating the file 0600', async () => {
    const file = path.join(dir, 'new', 'sub', 'known_hosts');
    const knownHosts = new KnownHostsFile(file);
    expect((await knownHosts.verify(['alpha'], 2222, keyA.type, keyA.blob)).status).toBe('unknown');
    await knownHosts.append('alpha', 2222, keyA.type, keyA.base64);
    await knownHosts.append('beta', 22, keyB.type, keyB.base64, { hashed: true });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect((await knownHosts.verify(['alpha'], 2222, keyA.type, keyA.blob)).status).toBe('known');
    expect((await knownHosts.verify(['beta'], 22, keyB.type, keyB.blob)).status).toBe('known');
    expect(await knownHosts.knownKeyTypes(['alpha'], 2222)).toEqual(['ssh-ed25519']);
    // OpenSSH itself finds both lines.
    expect(execFileSync('ssh-keygen', ['-F', '[alpha]:2222', '-f', file], { encoding: 'utf8' })).toContain(keyA.base64);
    expect(execFileSync('ssh-keygen', ['-F', 'beta', '-f', file], { encoding: 'utf8' })).toContain(keyB.base64);
  });

  it('appends on a new line when the file does not end with one', async () => {
    const file = path.join(dir, 'no_newline');
    writeFileSync(file, `alpha ${keyA.type} ${keyA.base64}`);
    await new KnownHostsFile(file).append('beta', 22, keyB.type, keyB.base64);
    expect(parseKnownHosts(readFileSync(file, 'utf8')).map((entry) => entry.line)).toEqual([1, 2]);
  });

  it('parses the file once while it is unchanged, and sees a line another writer adds or replaces at once', async () => {
    // A pool connecting to 300 hosts checks known_hosts twice per host: reading and parsing the whole
    // file each time made that quadratic (0.7 s of CPU at 300 hosts, bench/ case 2).
    const file = path.join(dir, 'cached');
    writeFileSync(file, `alpha ${keyA.type} ${keyA.base64}\n`);
    const knownHosts = new KnownHostsFile(file);
    const first = await knownHosts.entries();
    expect(await knownHosts.entries()).toBe(first);
    expect((await knownHosts.verify(['alpha'], 22, keyA.type, keyA.blob)).status).toBe('known');
    expect(await knownHosts.entries()).toBe(first);

    // Another program (ssh, an editor) appends a line: seen by the next check.
    writeFileSync(file, `alpha ${keyA.type} ${keyA.base64}\nbeta ${keyB.type} ${keyB.base64}\n`);
    expect((await knownHosts.verify(['beta'], 22, keyB.type, keyB.blob)).status).toBe('known');
    // Rewritten in place with the same length (one key swapped for another of the same size): seen too.
    const swapped = `alpha ${keyB.type} ${keyB.base64}\nbeta ${keyA.type} ${keyA.base64}\n`;
    writeFileSync(file, swapped);
    expect((await knownHosts.verify(['alpha'], 22, keyA.type, keyA.blob)).status).toBe('changed');
    // Removed: no entries, not the cached ones.
    rmSync(file);
    expect(await knownHosts.entries()).toEqual([]);
  });
});
