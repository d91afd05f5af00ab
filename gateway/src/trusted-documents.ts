/**
 * Trusted documents: in production the gateway runs only the operations its own clients were
 * built with (the manifest `pnpm codegen` writes next to the SDK's typed documents). Apollo
 * Server has no safelist of its own (its automatic persisted queries cache whatever a client
 * registers; safelisting is a GraphOS Router feature), so the rule lives here and every
 * transport (HTTP, graphql-ws, SSE) asks it before anything is parsed or planned.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { RequestHandler } from 'express';
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

  /**
   * HTTP (after `express.json()`): a known id becomes the request's `query`, so Apollo Server
   * runs it as if sent in full; an untrusted operation is answered 400 with its code.
   */
  httpMiddleware(): RequestHandler {
    return (req, res, next) => {
      if (req.method === 'POST') {
        const bodies: unknown[] = Array.isArray(req.body) ? req.body : [req.body];
        for (const body of bodies) {
          if (!body || typeof body !== 'object') continue;
          const resolved = this.resolve(body as DocumentRequest);
          if ('error' in resolved) return void res.status(400).json({ errors: [resolved.error.toJSON()] });
          if (resolved.query !== undefined) (body as { query?: string }).query = resolved.query;
        }
        return next();
      }
      if (req.method === 'GET') {
        const url = new URL(req.originalUrl, 'http://gateway.invalid');
        const params = url.searchParams;
        let extensions: unknown;
        try {
          extensions = params.has('extensions') ? JSON.parse(params.get('extensions')!) : undefined;
        } catch {
          extensions = undefined; // Apollo Server answers malformed extensions itself
        }
        // A GET without an operation (a browser opening the endpoint) is Apollo Server's to answer.
        if (!params.has('query') && !params.has('documentId') && extensions === undefined) return next();
        const resolved = this.resolve({ query: params.get('query') ?? undefined, documentId: params.get('documentId') ?? undefined, extensions });
        if ('error' in resolved) return void res.status(400).json({ errors: [resolved.error.toJSON()] });
        if (resolved.query !== undefined && resolved.query !== params.get('query')) {
          params.set('query', resolved.query);
          req.url = `${req.url.split('?')[0]}?${params}`;
        }
      }
      return next();
    };
  }
}

/** The gateway's trusted documents: enforced in production unless arbitrary operations are allowed. */
export function createTrustedDocuments(production: boolean, options: TrustedDocumentsOptions = {}): TrustedDocuments {
  return new TrustedDocuments(options.manifest ?? TrustedDocuments.readManifest(), production && !options.allowArbitraryOperations);
}
