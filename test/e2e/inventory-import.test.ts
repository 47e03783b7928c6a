/**
 * Inventory import from the console, in a real browser (Debian's Chromium against browser mode):
 * a Kolla multinode inventory is previewed (hosts, roles, profile, guesses), an operator's mapping
 * changes a group's roles, saving over an existing file is refused, and the saved environment loads
 * and becomes the chosen one. A file that does not exist gets a message naming it. Then discovery
 * through the OpenStack stand-in lab's controller: hosts nova reports, reachable or only discovered.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsoleService } from '../../electron/app/service';
import { loadEnvironment } from '../../electron/core/inventory/environment';
import { RENDERER_DIR, startServer, type RunningServer } from '../../electron/server';
import { startOpenStackLab, type OpenStackLab } from '../lab/openstack-lab';
import { SCREENSHOTS, consoleServiceIn, launchChromium, openPage } from './browser';

const KOLLA = path.resolve(import.meta.dirname, '../fixtures/inventory/ansible/kolla-multinode');

let home: string;
let service: ConsoleService;
let server: RunningServer;
let browser: Browser;
let page: Page;
let lab: OpenStackLab | undefined;

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  home = mkdtempSync(path.join(os.tmpdir(), 'opsdeck-e2e-import-'));
  service = consoleServiceIn(home);
  server = await startServer({ service, rendererDir: RENDERER_DIR });
  browser = await launchChromium();
  page = await openPage(browser);
});

afterAll(async () => {
  await lab?.stop();
  await browser?.close();
  await server?.close();
  await service?.close();
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('importing an inventory from the console', () => {
  it('says which file cannot be read', async () => {
    await page.goto(server.url);
    await page.getByRole('button', { name: 'Environment', exact: true }).click();
    await page.getByRole('button', { name: 'Import an inventory…' }).click();
    await page.getByLabel('Inventory file', { exact: true }).fill(path.join(home, 'no-such-inventory'));
    await page.getByRole('button', { name: 'Preview' }).click();
    await expect.poll(() => page.locator('.import-panel .error-message').innerText()).toBe(`${path.join(home, 'no-such-inventory')} cannot be read: there is no such file.`);
  });

  it('previews a Kolla inventory (hosts, roles, profile, guesses) and saves it, never over an existing file unasked', async () => {
    await page.getByLabel('Inventory file', { exact: true }).fill(KOLLA);
    // The operator's mapping: monitoring hosts get no role here, storage ones get ceph too.
    await page.getByLabel('Roles of groups', { exact: true }).fill('monitoring=\nstorage=storage,ceph');
    await page.getByLabel('User', { exact: true }).fill('kolla');
    await page.getByLabel('Environment name', { exact: true }).fill('kolla-east');
    await page.getByRole('button', { name: 'Preview' }).click();
    const preview = page.getByRole('region', { name: 'Import preview' });
    await preview.waitFor();
    await expect.poll(() => preview.getByLabel('Profile', { exact: true }).innerText()).toContain('Profile kolla: the inventory has the groups of kolla-ansible');
    const row = (host: string) => preview.getByRole('row').filter({ has: page.getByRole('cell', { name: host, exact: true }) });
    await expect.poll(() => row('control03').innerText()).toMatch(/control03\s+10\.0\.0\.13:2222\s+kolla\s+controller, db, mq/);
    await expect.poll(() => row('storage01').innerText()).toContain('storage, ceph');
    await expect.poll(() => row('monitoring01').innerText()).toContain('none');
    const guesses = await preview.getByRole('region', { name: 'Guessed' }).innerText();
    expect(guesses).toContain(`${KOLLA}:19: compute01: no ansible_host, so the address is the name itself`);
    expect(guesses).toContain('localhost is left out');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'inventory-import-preview.png') });

    const existing = path.join(home, 'existing.yaml');
    writeFileSync(existing, 'name: keep-me\n');
    await page.getByLabel('Save as', { exact: true }).fill(existing);
    await page.getByRole('button', { name: 'Save environment' }).click();
    await expect.poll(() => page.locator('.import-panel .error-message').innerText()).toContain(`${existing} already exists and was left as it is`);
    expect(readFileSync(existing, 'utf8')).toBe('name: keep-me\n');

    const target = path.join(home, 'kolla-east.yaml');
    await page.getByLabel('Save as', { exact: true }).fill(target);
    await page.getByRole('button', { name: 'Save environment' }).click();
    await expect.poll(() => page.getByRole('status').innerText()).toContain(`Saved ${target}`);
    // Saved, opened and chosen: the hosts pane shows it.
    await expect.poll(() => page.getByRole('region', { name: 'Hosts' }).innerText()).toContain('Hosts of kolla-east');
    const environment = await loadEnvironment(target);
    expect(environment.profile.id).toBe('kolla');
    expect(environment.hosts.find((host) => host.name === 'storage01')?.roles).toEqual(['storage', 'ceph']);
    expect(environment.hosts.find((host) => host.name === 'network01')?.user).toBe('kolla');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'inventory-import-saved.png') });
  });

  it('discovers the hosts nova reports through the controller of an open environment, and marks which were reached', async () => {
    lab = await startOpenStackLab();
    lab.updateState((state) => {
      state.services.push({ ...state.services.find((service) => service.binary === 'nova-compute')!, id: '5e7f0000-0000-4000-8000-000000000099', host: 'compute04' });
    });
    const opened = await service.dispatch('environment:open', { file: lab.envFile });
    if (!opened.ok) throw new Error(opened.error.userMessage);
    await page.getByRole('radio', { name: 'Discover from the cloud' }).check();
    await page.getByLabel('Discover through', { exact: true }).selectOption({ value: path.resolve(lab.envFile) });
    await page.getByLabel('Environment name', { exact: true }).fill('lab-discovered');
    await page.getByRole('button', { name: 'Preview' }).click();
    const preview = page.getByRole('region', { name: 'Import preview' });
    const row = (host: string) => preview.getByRole('row').filter({ has: page.getByRole('cell', { name: host, exact: true }) });
    await expect.poll(() => row('compute04').innerText(), { timeout: 60_000 }).toMatch(/compute04\s+compute04\s+\S+\s+compute\s+discovered/);
    await expect.poll(() => row('compute01').innerText()).toMatch(/compute\s+reachable/);
    expect(await preview.getByRole('region', { name: 'Warnings' }).innerText()).toContain('neutron: openstack network agent list -f json on controller01 did not answer');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'inventory-discovery-preview.png') });
    const target = path.join(home, 'lab-discovered.yaml');
    await page.getByLabel('Save as', { exact: true }).fill(target);
    await page.getByRole('button', { name: 'Save environment' }).click();
    await expect.poll(() => page.getByRole('status').innerText()).toContain(`Saved ${target}`);
    expect((await loadEnvironment(target)).hosts.map((host) => host.name)).toContain('compute04');
  });
});
