/** The upstream pool shares one connection per subgraph and identity until it is full, then opens another (subscriptions/upstream-pool.ts). */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { identityOf } from '../../src/subscriptions/identity';
import { UpstreamPool } from '../../src/subscriptions/upstream-pool';

// Connections are lazy: none of these ever dials the URL.
const pool = (streamsPerConnection: number) =>
  new UpstreamPool({ subgraphUrls: { gym: 'http://127.0.0.1:9/graphql' }, streamsPerConnection, logger: pino({ level: 'silent' }) });

describe('upstream pool', () => {
  it('puts an identity\'s streams on one connection up to its cap, then on another; the last stream closes each', async () => {
    const upstream = pool(2);
    const anonymous = identityOf(null, null);
    const first = upstream.connectionFor('gym', anonymous, true);
    expect(upstream.connectionFor('gym', anonymous, true)).toBe(first);
    const second = upstream.connectionFor('gym', anonymous, true);
    expect(second).not.toBe(first);
    expect(upstream.size()).toBe(2);
    // Room on the first again: it is reused before anything new opens.
    upstream.release(first);
    expect(upstream.connectionFor('gym', anonymous, true)).toBe(first);
    for (const connection of [first, first, second]) upstream.release(connection);
    expect(upstream.size()).toBe(0);
    await upstream.close();
  });

  it('never shares a connection between identities', async () => {
    const upstream = pool(100);
    const member = identityOf('Bearer a', { id: 'u1', role: 'MEMBER', sessionId: 's1' } as never);
    const anonymous = identityOf(null, null);
    expect(upstream.connectionFor('gym', member, true)).not.toBe(upstream.connectionFor('gym', anonymous, true));
    await upstream.close();
  });
});
