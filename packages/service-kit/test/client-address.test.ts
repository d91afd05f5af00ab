/** `x-forwarded-for` believed only from trusted proxies (the gateway behind its load balancer). */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { clientAddress, proxyTrust } from '@fitgraph/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

describe('client address behind trusted proxies', () => {
  let server: Server;
  let url: string;
  let trusted: string[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => res.end(clientAddress(req, proxyTrust(trusted)) ?? ''));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });
  const addressSeen = async (forwardedFor: string) => (await fetch(url, { headers: { 'x-forwarded-for': forwardedFor } })).text();

  it('believes x-forwarded-for only from a trusted peer, and only its nearest untrusted hop', async () => {
    trusted = [];
    expect(await addressSeen('203.0.113.7')).toBe('127.0.0.1');
    trusted = ['loopback'];
    expect(await addressSeen('203.0.113.7')).toBe('203.0.113.7');
    // A client's own forged entry sits left of what the proxy appended: not believed.
    expect(await addressSeen('198.51.100.1, 203.0.113.7')).toBe('203.0.113.7');
    trusted = ['10.0.0.0/8'];
    expect(await addressSeen('203.0.113.7')).toBe('127.0.0.1');
  });
});
