/**
 * Outside review (issue 11), item 18: the packaged app flips Electron's fuses. electron-builder 26
 * flips them from `electronFuses` in electron-builder.yml after packing and before signing; a fuse
 * left at Electron's default lets anyone who can start the app run it as plain Node
 * (ELECTRON_RUN_AS_NODE), inject NODE_OPTIONS, attach an inspector, or load code from outside the
 * checked app.asar.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = path.resolve(import.meta.dirname, '..');
const config = parse(readFileSync(path.join(ROOT, 'electron-builder.yml'), 'utf8')) as Record<string, unknown>;

describe('electron-builder.yml', () => {
  it('flips the fuses an app that never runs as Node needs', () => {
    expect(config.electronFuses).toEqual({
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
    });
  });

  it('names only fuses electron-builder knows (its own schema), and keeps the app in an asar archive', () => {
    const scheme = JSON.parse(readFileSync(path.join(ROOT, 'node_modules/app-builder-lib/scheme.json'), 'utf8')) as {
      definitions: { FuseOptionsV1: { properties: Record<string, unknown> } };
      properties: Record<string, unknown>;
    };
    expect(scheme.properties).toHaveProperty('electronFuses');
    for (const fuse of Object.keys(config.electronFuses as object)) {
      expect(scheme.definitions.FuseOptionsV1.properties, fuse).toHaveProperty(fuse);
    }
    // onlyLoadAppFromAsar and the integrity check are only meaningful with an asar archive.
    expect(config.asar ?? true).toBe(true);
  });
});
