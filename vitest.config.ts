import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

// One log file per run for the services tests run in-process; the global teardown scans it for
// secrets (tests/global-setup.ts).
process.env.FITGRAPH_TEST_LOG_FILE ??= join(tmpdir(), `fitgraph-test-logs-${Date.now()}-${process.pid}.ndjson`);

export default defineConfig({
  // One `graphql` as in production: vite would resolve our sources' imports to graphql's ESM
  // build while the Apollo packages require the CommonJS one, and graphql-js rejects schemas
  // and errors "from another realm" (Node itself always picks the CommonJS `main`).
  resolve: { alias: [{ find: /^graphql$/, replacement: createRequire(import.meta.url).resolve('graphql') }] },
  test: {
    globalSetup: ['./tests/global-setup.ts'],
    // @apollo/gateway reads this when a gateway is constructed; the start scripts set it the same way.
    env: { APOLLO_TELEMETRY_DISABLED: 'true', FITGRAPH_TEST_LOG_FILE: process.env.FITGRAPH_TEST_LOG_FILE },
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: files in parallel, each starting real servers, is as much as they take.
    maxWorkers: 2,
    // unit: no servers, no databases (pure functions, the planner, the layout); integration: one
    // package against real PostgreSQL/Redis; e2e: the gateway and subgraphs together.
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['tests/unit/**/*.test.ts', '*/test/unit/**/*.test.ts', '*/*/test/unit/**/*.test.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['subgraphs/*/test/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
          exclude: ['**/test/unit/**', '**/node_modules/**'],
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['tests/**/*.test.ts', 'gateway/test/**/*.test.ts'],
          exclude: ['tests/unit/**', 'tests/production/**', 'gateway/test/unit/**', '**/node_modules/**'],
        },
      },
      {
        extends: true,
        // The compiled services as separate processes behind nginx; their bundles are built once per run.
        test: { name: 'production', include: ['tests/production/**/*.test.ts'], globalSetup: ['./tests/production/global-setup.ts'] },
      },
      {
        extends: true,
        // The SDK against a running stack and the dashboard in headless Chromium.
        test: { name: 'clients', include: ['clients/*/test/**/*.test.ts'] },
      },
    ],
  },
});
