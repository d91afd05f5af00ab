import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['./tests/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: files in parallel, each starting real servers, is as much as they take.
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: { name: 'integration', include: ['subgraphs/*/test/**/*.test.ts', 'packages/*/test/**/*.test.ts'] },
      },
      {
        extends: true,
        test: { name: 'e2e', include: ['tests/**/*.test.ts', 'gateway/test/**/*.test.ts'] },
      },
    ],
  },
});
