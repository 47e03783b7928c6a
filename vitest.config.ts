import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

/**
 * The real OpenStack lab's project runs only when asked for by name (`npm run test:openstack`, i.e.
 * `vitest run --project openstack`): it installs packages and starts a whole cloud, which a plain
 * `vitest run` (npm test) must not do.
 */
const argv = process.argv.join(' ');
const openstackAsked = /--project[= ]openstack\b/.test(argv);

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['electron/**/*.test.ts'],
          environment: 'node',
          // A deadline, not a speed target: some unit tests lint or load the whole tree, which takes
          // many seconds on a shared 2-core machine under load (vitest's default is 5 s).
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          // The lab's servers are shared per file; files run one after another so two files
          // never fight over the same loopback ports on a 2-core machine.
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        plugins: [react()],
        test: {
          name: 'renderer',
          include: ['renderer/**/*.test.{ts,tsx}'],
          environment: 'jsdom',
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          // Builds the renderer once (vite), as browser mode serves it; Electron's binary is not needed.
          globalSetup: ['test/e2e/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      ...(openstackAsked
        ? [
            {
              test: {
                name: 'openstack',
                include: ['test/openstack/**/*.test.ts'],
                environment: 'node',
                // One lab for the whole run: the scenarios share it, one after another.
                fileParallelism: false,
                // Generous: a scenario takes 2–10 min on the loaded shared machine, several times an idle one.
                testTimeout: 30 * 60_000,
                // The first start installs packages and bootstraps the cloud.
                hookTimeout: 45 * 60_000,
              },
            },
          ]
        : []),
    ],
  },
});
