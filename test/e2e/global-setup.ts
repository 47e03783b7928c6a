/** Builds the renderer exactly as browser mode serves it (no Electron involved). */
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

export default async function setup(): Promise<void> {
  await build({ configFile: fileURLToPath(new URL('../../vite.renderer.config.ts', import.meta.url)), logLevel: 'error' });
}
