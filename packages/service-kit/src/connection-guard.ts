/**
 * The one client-auth guard of long-lived connections (graphql-ws sockets, SSE streams): it
 * verifies the token a connection presents, then watches the connection's identity and calls
 * the connection's own close when the session is revoked or, if asked, when the access token
 * expires. Every transport (the edge's graphql-ws and SSE, a service's graphql-ws) uses it, so
 * the rule is written once; each transport decides only how to close (see close-codes.ts).
 */
import type { TokenVerifier, Viewer } from './auth';
import type { RevocationList } from './revocation';

export type InvalidatedBy = 'revoked' | 'expired';

export interface ConnectionGuard<TRole extends string = string> {
  /** The viewer of an `Authorization` value; null when anonymous; rejects (UNAUTHENTICATED) when bad. */
  authenticate(authorization: string | null): Promise<Viewer<TRole> | null>;
  /**
   * Calls `close` once when `viewer`'s session is revoked, or (with `expiry`) when its token
   * expires, whichever comes first. Returns the unwatch to call when the connection ends.
   */
  watch(viewer: Viewer<TRole>, close: (reason: InvalidatedBy) => void, options?: { expiry?: boolean }): () => void;
  /** Connections watched now. */
  watched(): number;
  /** Stops listening for revocations (the connections themselves are the transport's). */
  dispose(): void;
}

/** Longest delay setTimeout takes; a later expiry is simply not scheduled (tokens live minutes). */
const maxTimerMs = 2 ** 31 - 1;

export function createConnectionGuard<TRole extends string>(
  verifier: TokenVerifier<TRole>,
  revocations: RevocationList,
): ConnectionGuard<TRole> {
  const watching = new Map<symbol, { viewer: Viewer<TRole>; close: (reason: InvalidatedBy) => void }>();
  // The list records a revocation before telling listeners, so asking it is enough.
  const stopListening = revocations.onRevoked(() => {
    for (const [key, entry] of watching) {
      if (revocations.isRevoked(entry.viewer)) {
        watching.delete(key);
        entry.close('revoked');
      }
    }
  });
  return {
    authenticate: (authorization) => verifier.viewerFromAuthorization(authorization),
    watch(viewer, close, options = {}) {
      const key = Symbol('connection');
      let timer: NodeJS.Timeout | undefined;
      const unwatch = () => {
        clearTimeout(timer);
        watching.delete(key);
      };
      watching.set(key, { viewer, close: (reason) => (unwatch(), close(reason)) });
      if (options.expiry && viewer.expiresAt) {
        const delay = viewer.expiresAt * 1000 - Date.now();
        if (delay <= maxTimerMs) {
          timer = setTimeout(() => {
            if (!watching.has(key)) return;
            unwatch();
            close('expired');
          }, Math.max(0, delay));
          timer.unref();
        }
      }
      return unwatch;
    },
    watched: () => watching.size,
    dispose: stopListening,
  };
}
