/**
 * Trusted documents: in production the gateway runs only the operations its own clients were
 * built with (the manifest `pnpm codegen` writes next to the SDK's typed documents). Apollo
 * Server has no safelist of its own (its automatic persisted queries cache whatever a client
 * registers; safelisting is a GraphOS Router feature), so the rule lives here, the first step of
 * the admission (admission/index.ts) every transport (HTTP, graphql-ws, SSE) runs operations through.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { GraphQLError } from 'graphql';

/** The manifest the SDK is generated with: `sha256:<hex>` -> the document's text. */
export const defaultManifestPath = new URL('../../clients/sdk/src/generated/persisted-documents.json', import.meta.url);

export interface TrustedDocumentsOptions {
  /** Hash -> document; keys `sha256:<hex>` or bare hex. Default: the SDK's generated manifest. */
  manifest?: Record<string, string>;
  /**
   * Run operations that are not in the manifest (e.g. Sandbox or curl against production).
   * Default: false; outside production everything runs anyway. Env: ALLOW_ARBITRARY_OPERATIONS.
   */
  allowArbitraryOperations?: boolean;
}

/** The parts of a GraphQL request (any transport) that name its document. */
export interface DocumentRequest {
  query?: unknown;
  documentId?: unknown;
  extensions?: unknown;
}

/** The document to run (`undefined`: the request names none; Apollo's own APQ may still know it), or why not. */
export type ResolvedDocument = { query: string | undefined } | { error: GraphQLError };

export const trustedDocumentCodes = {
  /** A hash or document id that is not in the manifest. */
  notFound: 'PERSISTED_QUERY_NOT_FOUND',
  /** A full document that is not in the manifest. */
  notTrusted: 'OPERATION_NOT_TRUSTED',
} as const;

const sha256Hex = (text: string) => createHash('sha256').update(text).digest('hex');
const bareHash = (id: string) => id.replace(/^sha256:/, '').toLowerCase();

/** The id a request names: `documentId` (GraphQL-over-HTTP persisted documents) or Apollo's `extensions.persistedQuery.sha256Hash`. */
function requestedId(request: DocumentRequest): string | null {
  if (typeof request.documentId === 'string' && request.documentId !== '') return bareHash(request.documentId);
  const persisted = (request.extensions as { persistedQuery?: { sha256Hash?: unknown } } | null | undefined)?.persistedQuery;
  return typeof persisted?.sha256Hash === 'string' ? bareHash(persisted.sha256Hash) : null;
}

export class TrustedDocuments {
  private readonly documents: Map<string, string>;

  constructor(
    manifest: Record<string, string>,
    /** Refuse what is not in the manifest (production without ALLOW_ARBITRARY_OPERATIONS). */
    readonly enforce: boolean,
  ) {
    this.documents = new Map(Object.entries(manifest).map(([id, document]) => [bareHash(id), document]));
  }

  /** The SDK's generated manifest. */
  static readManifest(path: URL = defaultManifestPath): Record<string, string> {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, string>;
  }

  get size(): number {
    return this.documents.size;
  }

  /**
   * A request's document. A known id always runs its manifest text (whatever `query` says); an
   * unknown one is PERSISTED_QUERY_NOT_FOUND when enforcing. A full document runs when enforcing
   * only if its exact text is in the manifest, otherwise OPERATION_NOT_TRUSTED.
   */
  resolve(request: DocumentRequest): ResolvedDocument {
    const query = typeof request.query === 'string' && request.query !== '' ? request.query : undefined;
    const id = requestedId(request);
    if (id) {
      const document = this.documents.get(id);
      if (document) return { query: document };
      if (!this.enforce) return { query };
      return {
        error: new GraphQLError(`No trusted document has the id ${id}: this gateway runs only operations of its clients' manifest`, {
          extensions: { code: trustedDocumentCodes.notFound },
        }),
      };
    }
    if (!this.enforce || (query && this.documents.has(sha256Hex(query)))) return { query };
    return {
      error: new GraphQLError(
        'This gateway runs only trusted operations: send the id of a document in its manifest (extensions.persistedQuery.sha256Hash or documentId)',
        { extensions: { code: trustedDocumentCodes.notTrusted } },
      ),
    };
  }
}

/** The gateway's trusted documents: enforced in production unless arbitrary operations are allowed. */
export function createTrustedDocuments(production: boolean, options: TrustedDocumentsOptions = {}): TrustedDocuments {
  return new TrustedDocuments(options.manifest ?? TrustedDocuments.readManifest(), production && !options.allowArbitraryOperations);
}
