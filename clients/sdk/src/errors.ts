import type { GraphQLFormattedError } from 'graphql';

/** Codes the SDK itself adds to the graph's (`extensions.code`). */
export const clientErrorCodes = {
  /** No answer from the gateway (offline, DNS, refused, a non-GraphQL response). */
  network: 'NETWORK_ERROR',
} as const;

/** A failed operation: the graph's errors (each with `extensions.code`) or a network failure. */
export class FitGraphError extends Error {
  override readonly name = 'FitGraphError';

  constructor(
    readonly errors: readonly GraphQLFormattedError[],
    /** What the operation returned besides the errors, if anything. */
    readonly data?: unknown,
  ) {
    super(errors.map((error) => `${String(error.extensions?.code ?? 'ERROR')}: ${error.message}`).join('; '));
  }

  /** The first error's `extensions.code` (e.g. UNAUTHENTICATED, FORBIDDEN, RATE_LIMITED, NETWORK_ERROR). */
  get code(): string {
    return String(this.errors[0]?.extensions?.code ?? 'ERROR');
  }

  /** Whether any error has this code. */
  has(code: string): boolean {
    return this.errors.some((error) => error.extensions?.code === code);
  }

  static network(message: string): FitGraphError {
    return new FitGraphError([{ message, extensions: { code: clientErrorCodes.network } }]);
  }
}
