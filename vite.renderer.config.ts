/**
 * The renderer's build, shared by browser mode (`npm start` without Electron, the e2e tests) and
 * the Electron build (electron.vite.config.ts reuses it). Output: out/renderer.
 */
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig, type UserConfig } from 'vite';

const root = fileURLToPath(new URL('./renderer', import.meta.url));

export const rendererConfig: UserConfig = {
  root,
  base: './',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('./out/renderer', import.meta.url)),
    emptyOutDir: true,
    target: 'chrome120',
    sourcemap: false,
    chunkSizeWarningLimit: 2048,
  },
};

export default defineConfig(rendererConfig);
