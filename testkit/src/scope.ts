import { DisposeScope } from '@fitgraph/service-kit';
import { afterAll } from 'vitest';

/**
 * The test file's dispose scope. Every stack, subgraph, database and client testkit starts
 * registers its close here, and the scope is emptied after the file's tests (vitest `afterAll`;
 * each test file has its own module instance), so a test that fails half-way leaks no server,
 * socket, database or Redis key. Tests register what they open themselves with `testScope.use`.
 * Closing something early (its own `stop()`/`close()`) is fine: every close is idempotent.
 */
export const testScope = new DisposeScope();

// Only in a test file: vitest's global setup and the bench (a child of a test, too) use testkit with no file to end.
try {
  afterAll(() => testScope.dispose());
} catch {
  // not collecting a test file: whoever uses testkit here stops what it starts itself
}
