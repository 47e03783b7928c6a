/**
 * The built renderer (what the window and the browser load) holds no Node or Electron: it talks to
 * the api/ contract only. Checked on the real build output from global-setup.ts.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RENDERER_DIR } from '../../electron/server';

const FORBIDDEN = [
  /\bfrom\s*["'](?:node:|electron\b|fs\b|child_process\b|ssh2\b|mysql2\b)/,
  /\bimport\(\s*["'](?:node:|electron\b)/,
  /\brequire\(\s*["'](?:node:|electron\b|fs\b|child_process\b|ssh2\b|path\b)/,
  /\bipcRenderer\b/,
  /\bcontextBridge\b/,
  /\bZodError\b/,
];

describe('the renderer bundle', () => {
  const assets = path.join(RENDERER_DIR, 'assets');
  const files = readdirSync(assets).filter((name) => name.endsWith('.js'));

  it('was built', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it('imports no Node module, no Electron, and not the validation code of main', () => {
    for (const file of files) {
      const text = readFileSync(path.join(assets, file), 'utf8');
      for (const pattern of FORBIDDEN) expect(pattern.test(text), `${file} matches ${pattern}`).toBe(false);
    }
  });
});
