import { KeyedCounter } from './keyed-counter';

/** Open client connections (WebSockets and SSE streams together) one client may hold. */
export interface ConnectionCapLimits {
  /** Per client IP address (the peer address the gateway sees), counted from the TCP connection on. Default: 200. */
  perIp: number;
  /** Per signed-in user (all sessions), counted once the token is verified. Default: 20. */
  perUser: number;
}

export const defaultConnectionCaps: ConnectionCapLimits = { perIp: 200, perUser: 20 };

/** One set of counters shared by the graphql-ws and SSE transports. */
export class ConnectionCaps {
  readonly byIp: KeyedCounter;
  readonly byUser: KeyedCounter;

  constructor(limits: Partial<ConnectionCapLimits> = {}) {
    this.byIp = new KeyedCounter(limits.perIp ?? defaultConnectionCaps.perIp);
    this.byUser = new KeyedCounter(limits.perUser ?? defaultConnectionCaps.perUser);
  }

  refusal(kind: 'ip' | 'user'): { message: string; extensions: Record<string, unknown> } {
    const [counter, who] = kind === 'ip' ? [this.byIp, 'this address'] : [this.byUser, 'this user'];
    return {
      message: `Too many open connections from ${who}: at most ${counter.max} WebSockets and event streams at once`,
      extensions: { code: 'RATE_LIMITED', limit: counter.max },
    };
  }
}
