/** The dispose scope every composition root and test uses. */
import { DisposeScope, openInScope } from '@fitgraph/service-kit';
import { describe, expect, it } from 'vitest';

describe('DisposeScope', () => {
  it('closes in reverse order of opening, once', async () => {
    const scope = new DisposeScope();
    const closed: string[] = [];
    const db = scope.use({ name: 'db' }, (r) => void closed.push(r.name));
    scope.use({ name: 'pubsub' }, (r) => void closed.push(r.name));
    scope.defer(async () => void closed.push('server'));
    expect(db.name).toBe('db');
    await Promise.all([scope.dispose(), scope.dispose()]);
    await scope.dispose();
    expect(closed).toEqual(['server', 'pubsub', 'db']);
  });

  it('runs every close even when one fails, then reports the first failure', async () => {
    const scope = new DisposeScope();
    const closed: string[] = [];
    scope.defer(() => void closed.push('first opened'));
    scope.defer(() => {
      throw new Error('broken close');
    });
    scope.defer(() => void closed.push('last opened'));
    await expect(scope.dispose()).rejects.toThrow('broken close');
    expect(closed).toEqual(['last opened', 'first opened']);
  });

  it('refuses registrations after it was disposed', async () => {
    const scope = new DisposeScope();
    await scope.dispose();
    expect(() => scope.defer(() => {})).toThrow(/disposed/);
  });
});

describe('openInScope', () => {
  it('closes what was opened when opening fails half-way', async () => {
    const closed: string[] = [];
    await expect(
      openInScope(async (scope) => {
        scope.defer(() => void closed.push('database'));
        throw new Error('redis unreachable');
      }),
    ).rejects.toThrow('redis unreachable');
    expect(closed).toEqual(['database']);
  });
});
