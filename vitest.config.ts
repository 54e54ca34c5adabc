import { defineConfig } from 'vitest/config';
import { useRunTmpDir } from './test/run-tmp.js';

// every temporary file of the run under one folder, removed at the end (test/run-tmp.ts)
useRunTmpDir('gatewatch-test-run-');

// Unit tests are pure and fast; integration tests share one real Kafka broker (started once
// by the global setup) and each open their own chDB data directory, so they run in forks:
// chDB allows one engine per process and per directory.
export default defineConfig({
  test: {
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.int.test.ts'],
          globalSetup: ['test/integration/global-setup.ts'],
        },
      },
      {
        extends: true,
        // processes killed, stores and brokers stopped (npm run test:faults): each file owns its
        // broker and store, and the files run one at a time so recovery times are not skewed
        test: { name: 'faults', include: ['test/faults/**/*.fault.test.ts'], fileParallelism: false },
      },
      {
        extends: true,
        // the dashboard in headless Chromium against the real service (no Kafka needed)
        test: { name: 'browser', include: ['test/browser/**/*.browser.test.ts'] },
      },
    ],
  },
});
