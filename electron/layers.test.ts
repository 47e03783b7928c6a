import path from 'node:path';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');

// Without type information: a probe file is in no tsconfig, and `npm run lint` runs the typed rules.
const untyped = { cwd: root, overrideConfig: tseslint.configs.disableTypeChecked };

/** What the project's lint config says about `code` if it were the file at `file`. */
async function lint(file: string, code: string): Promise<string[]> {
  const eslint = new ESLint(untyped);
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return result.messages.map((message) => message.message);
}

describe('the layers point one way (eslint.config.js)', () => {
  it('keeps Electron and the UI out of the engine', async () => {
    expect(await lint('electron/core/run/probe.ts', "import { app } from 'electron';\nexport const x = app;\n")).toEqual([
      expect.stringContaining('no Electron below electron/core'),
    ]);
    expect(await lint('electron/core/run/probe.ts', "import { x } from '../../../renderer/stores/runs';\nexport const y = x;\n")).toEqual([
      expect.stringContaining('knows nothing of the UI'),
    ]);
  });

  it('keeps Node, Electron and engine code out of the renderer, but lets it use engine types through the contract', async () => {
    expect(await lint('renderer/probe.ts', "import fs from 'node:fs';\nexport const x = fs;\n")).toEqual([expect.stringContaining('no Node')]);
    expect(await lint('renderer/probe.ts', "import { Runner } from '../electron/core/run/runner';\nexport const x = Runner;\n")).toEqual([
      expect.stringContaining('through the api/ contract'),
    ]);
    expect(await lint('renderer/probe.ts', "import type { RunEvent } from '../electron/api/contract';\nexport type X = RunEvent;\n")).toEqual([]);
  });

  // The react-hooks rules run the React Compiler over every component: ~22 s of CPU here, minutes on a loaded machine.
  it('finds nothing wrong in the tree as it is', async () => {
    const eslint = new ESLint(untyped);
    const results = await eslint.lintFiles(['electron', 'renderer']);
    expect(results.flatMap((result) => result.messages.map((message) => `${result.filePath}:${message.line}: ${message.message}`))).toEqual([]);
  }, 180_000);
});
