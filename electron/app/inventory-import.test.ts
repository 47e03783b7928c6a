import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inventoryImportHandlers } from './inventory-import';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'opsdeck-import-handlers-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const handlers = inventoryImportHandlers({ openEnvironment: () => Promise.reject(new Error('not opened in this test')) });

describe('the console import handlers (the renderer is untrusted)', () => {
  it('refuse kernel files, whose content a preview would show', async () => {
    await expect(handlers['environment:importPreview']({ file: '/proc/self/environ' })).rejects.toThrow('/proc/self/environ is not an inventory');
  });

  it('refuse a file other users may not read when the console runs as root', async () => {
    const file = path.join(dir, 'private');
    writeFileSync(file, '[control]\nsecret-host ansible_host=10.0.0.1\n');
    chmodSync(file, 0o600);
    const preview = handlers['environment:importPreview']({ file });
    if (process.getuid?.() === 0) await expect(preview).rejects.toThrow(`${file} is not readable by every user`);
    else await expect(preview).resolves.toMatchObject({ result: { hosts: [{ name: 'secret-host' }] } });
  });

  it('discover only through an environment file environment:open accepts', async () => {
    const opened: string[] = [];
    const guarded = inventoryImportHandlers({
      openEnvironment: (file) => {
        opened.push(file);
        return Promise.reject(new Error(`${file} is not an environment file`));
      },
    });
    await expect(guarded['environment:importPreview']({ discoverFrom: '/etc/shadow' })).rejects.toThrow('/etc/shadow is not an environment file');
    expect(opened).toEqual(['/etc/shadow']);
  });

  it('preview a readable inventory', async () => {
    const file = path.join(dir, 'hosts');
    writeFileSync(file, '[compute]\ncompute01 ansible_host=10.0.0.31\n');
    chmodSync(file, 0o644);
    await expect(handlers['environment:importPreview']({ file })).resolves.toMatchObject({ result: { profile: 'systemd', hosts: [{ name: 'compute01', roles: ['compute'] }] } });
  });
});
