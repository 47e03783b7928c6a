/**
 * The Electron build (`npm run build:electron`): main as CommonJS with the native and Node-only
 * dependencies left external (ssh2, mysql2 and its natives must be required at run time), the
 * preload as CommonJS (an ESM preload does not run with sandbox: true), and the renderer with the
 * same config as browser mode.
 */
import { defineConfig } from 'electron-vite';
import { rendererConfig } from './vite.renderer.config';

export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      externalizeDeps: true,
      rollupOptions: {
        input: { main: 'electron/main.ts' },
        external: ['electron', 'ssh2', 'mysql2', 'cpu-features'],
        output: { format: 'cjs', entryFileNames: '[name].cjs', chunkFileNames: 'chunks/[name]-[hash].cjs' },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      externalizeDeps: false,
      rollupOptions: {
        input: { preload: 'electron/preload.ts' },
        external: ['electron'],
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    ...rendererConfig,
    build: {
      ...rendererConfig.build,
      rollupOptions: { input: { index: 'renderer/index.html' } },
    },
  },
});
