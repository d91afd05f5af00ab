/**
 * The FitGraph client: `fetch` for queries and mutations, graphql-ws for subscriptions, one
 * session shared by both. Runs wherever React Native or a browser runs (no Node built-ins).
 */
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type DocumentNode, type FormattedExecutionResult, type GraphQLFormattedError, type OperationDefinitionNode } from 'graphql';
import { createClient, type Client as WsClient } from 'graphql-ws';
import { FitGraphError } from './errors';
import { RefreshSessionDocument, SignInDocument, SignOutDocument, SignUpDocument, type SessionFragment, type SignUpInput } from './generated/graphql';
import { memoryTokenStore, type TokenStore } from './token-store';

export interface FitGraphClientOptions {
  /** The gateway's GraphQL endpoint, e.g. `https://api.fitgraph.example/graphql`. */
  url: string;
  /** graphql-ws endpoint. Default: `url` with `ws(s)://`. */
  wsUrl?: string;
  /** Where the session is kept. Default: in memory. React Native: AsyncStorage. */
  tokenStore?: TokenStore;
  /** Key of the session in `tokenStore`. Default: `fitgraph.session`. */
  storageKey?: string;
  /**
   * Send operations as trusted documents (their manifest hash, not their text), as the gateway
   * requires in production. Default: true.
   */
  trustedDocuments?: boolean;
  /** Default: the global `fetch`. */
  fetch?: typeof fetch;
  /** A WebSocket constructor. Default: the global `WebSocket` (browsers, React Native); Node 20 passes `ws`. */
  webSocketImpl?: unknown;
  /** Refresh the access token this many seconds before it expires. Default: 60. */
  refreshLeewaySeconds?: number;
  /** Longest wait between two subscription reconnects (ms). Default: 10 000. */
  maxReconnectDelayMs?: number;
  /** Called whenever the session starts, is refreshed or ends (null). */
  onSessionChange?: (session: Session | null) => void;
}

/** A signed-in session as stored. */
export interface Session {
  accessToken: string;
  refreshToken: string;
  /** When `accessToken` expires (ms since the epoch). */
  expiresAt: number;
  user: SessionFragment['user'];
}

/** What a live subscription reports. */
export interface SubscriptionHandlers<TData> {
  next(data: TData): void;
  /** The stream ended with an error it cannot recover from (e.g. FORBIDDEN); it is not retried. */
  error?(error: FitGraphError): void;
  /** The server ended the stream (e.g. the member left the conversation). */
  complete?(): void;
}

/** The WebSocket's state, for a "live" / "reconnecting" indicator. */
export type ConnectionState = 'connected' | 'disconnected';

/** How a subscription resumes after a reconnect: `argument` = `cursor(last event)`. */
export interface ResumeRule<TData> {
  argument: string;
  cursor(data: TData): string | null | undefined;
}

export type Unsubscribe = () => void;

const sessionFromPayload = (payload: SessionFragment): Session => ({
  accessToken: payload.accessToken,
  refreshToken: payload.refreshToken,
  expiresAt: Date.now() + payload.expiresIn * 1000,
  user: payload.user,
});

/** A document's manifest hash (`sha256:<hex>`), when codegen embedded one. */
const documentHash = (document: DocumentNode): string | undefined => (document as { __meta__?: { hash?: string } }).__meta__?.hash;

const operationOf = (document: DocumentNode) =>
  document.definitions.find((definition): definition is OperationDefinitionNode => definition.kind === 'OperationDefinition');

const isUnauthenticated = (errors: readonly GraphQLFormattedError[] | undefined) =>
  errors?.some((error) => error.extensions?.code === 'UNAUTHENTICATED') ?? false;

/** Close code the gateway uses for an invalid, expired or revoked token (gateway close-codes.ts). */
const unauthorizedCloseCode = 4401;

const closeCodeOf = (error: unknown): number | undefined =>
  typeof error === 'object' && error !== null && 'code' in error && typeof (error as { code: unknown }).code === 'number'
    ? (error as { code: number }).code
    : undefined;

/** Random id for idempotent sends; `crypto.randomUUID` where it exists (not in every React Native). */
export function newClientMessageId(): string {
  const cryptoApi = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (cryptoApi?.randomUUID) return cryptoApi.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}-${Math.random().toString(36).slice(2)}`;
}

export class FitGraphClient {
  private readonly store: TokenStore;
  private readonly storageKey: string;
  private readonly fetchImpl: typeof fetch;
  private readonly trusted: boolean;
  private readonly leewayMs: number;
  private readonly maxReconnectDelayMs: number;
  private readonly ws: WsClient;
  private refreshing: Promise<Session> | null = null;
  /** Set when the gateway refused the socket's token (4401): the next connection refreshes first. */
  private tokenRefused = false;

  constructor(private readonly options: FitGraphClientOptions) {
    this.store = options.tokenStore ?? memoryTokenStore();
    this.storageKey = options.storageKey ?? 'fitgraph.session';
    this.fetchImpl = options.fetch ?? ((...args) => globalThis.fetch(...args));
    this.trusted = options.trustedDocuments ?? true;
    this.leewayMs = (options.refreshLeewaySeconds ?? 60) * 1000;
    this.maxReconnectDelayMs = options.maxReconnectDelayMs ?? 10_000;
    this.ws = createClient({
      url: options.wsUrl ?? options.url.replace(/^http/, 'ws'),
      webSocketImpl: options.webSocketImpl,
      lazy: true,
      lazyCloseTimeout: 1000,
      // Reconnects are the SDK's own (see subscribe): each one resumes from the last event seen.
      retryAttempts: 0,
      keepAlive: 10_000,
      connectionParams: async () => {
        const token = await this.accessToken({ forceRefresh: this.tokenRefused }).catch(() => null);
        this.tokenRefused = false;
        return token ? { authorization: `Bearer ${token}` } : {};
      },
    });
  }

  // ---------------------------------------------------------------- session

  /** The stored session, if any (it may have expired; requests refresh it). */
  async session(): Promise<Session | null> {
    const text = await this.store.getItem(this.storageKey);
    if (!text) return null;
    try {
      return JSON.parse(text) as Session;
    } catch {
      return null;
    }
  }

  async signIn(email: string, password: string): Promise<Session> {
    const { signIn } = await this.request(SignInDocument, { email, password }, { authenticated: false });
    return this.saveSession(sessionFromPayload(signIn));
  }

  async signUp(input: SignUpInput): Promise<Session> {
    const { signUp } = await this.request(SignUpDocument, { input }, { authenticated: false });
    return this.saveSession(sessionFromPayload(signUp));
  }

  /** Ends the session at the gateway (best effort) and forgets it here; open subscriptions close. */
  async signOut(): Promise<void> {
    const session = await this.session();
    await this.clearSession();
    this.ws.terminate();
    if (session) await this.request(SignOutDocument, { refreshToken: session.refreshToken }, { authenticated: false }).catch(() => undefined);
  }

  /**
   * A valid access token (null when signed out): refreshed first when it expires within the
   * leeway, or when `forceRefresh` (the gateway refused it). Concurrent callers share one refresh.
   */
  async accessToken({ forceRefresh = false } = {}): Promise<string | null> {
    const session = await this.session();
    if (!session) return null;
    if (!forceRefresh && session.expiresAt - Date.now() > this.leewayMs) return session.accessToken;
    return (await this.refresh(session)).accessToken;
  }

  private refresh(session: Session): Promise<Session> {
    this.refreshing ??= (async () => {
      try {
        // Another caller may have refreshed while this one waited: use its tokens.
        const current = await this.session();
        if (current && current.refreshToken !== session.refreshToken) return current;
        const result = await this.execute(RefreshSessionDocument, { refreshToken: session.refreshToken }, null);
        if (!result.data) {
          // A refresh token the gateway refuses (expired, reused, signed out) ends the session.
          if (result.errors?.some((error) => error.extensions?.code !== 'INTERNAL_SERVER_ERROR')) await this.clearSession();
          throw new FitGraphError(result.errors ?? [{ message: 'Refresh failed', extensions: { code: 'UNAUTHENTICATED' } }]);
        }
        return await this.saveSession(sessionFromPayload(result.data.refreshSession));
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  private async saveSession(session: Session): Promise<Session> {
    await this.store.setItem(this.storageKey, JSON.stringify(session));
    this.options.onSessionChange?.(session);
    return session;
  }

  private async clearSession(): Promise<void> {
    await this.store.removeItem(this.storageKey);
    this.options.onSessionChange?.(null);
  }

  // ---------------------------------------------------------------- queries and mutations

  /**
   * Runs a query or mutation; resolves with its data or rejects with a {@link FitGraphError}.
   * Signed in, it sends the access token (refreshed before expiry) and, when the gateway answers
   * UNAUTHENTICATED, refreshes once and retries.
   */
  async request<TData, TVariables>(
    document: TypedDocumentNode<TData, TVariables>,
    // NoInfer: the document alone decides the variables' type, so a wrong or extra one is an error.
    variables?: NoInfer<TVariables>,
    { authenticated = true }: { authenticated?: boolean } = {},
  ): Promise<TData> {
    const token = authenticated ? await this.accessToken() : null;
    let result = await this.execute(document, variables, token);
    if (token && isUnauthenticated(result.errors)) {
      const session = await this.session();
      if (session) result = await this.execute(document, variables, (await this.refresh(session)).accessToken);
    }
    if (result.errors?.length || !result.data) {
      throw new FitGraphError(result.errors ?? [{ message: 'No data', extensions: { code: 'INTERNAL_SERVER_ERROR' } }], result.data);
    }
    return result.data;
  }

  /** The request body: the manifest hash (trusted documents) or the document's text. */
  private body(document: DocumentNode, variables: unknown): Record<string, unknown> {
    const hash = this.trusted ? documentHash(document) : undefined;
    const operationName = operationOf(document)?.name?.value;
    if (hash) {
      return { operationName, variables, extensions: { persistedQuery: { version: 1, sha256Hash: hash.replace(/^sha256:/, '') } } };
    }
    return { query: print(document), operationName, variables };
  }

  private async execute<TData, TVariables>(
    document: TypedDocumentNode<TData, TVariables>,
    variables: TVariables | undefined,
    token: string | null,
  ): Promise<FormattedExecutionResult<TData>> {
    let response: Response;
    try {
      response = await this.fetchImpl(this.options.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json, application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify(this.body(document, variables)),
      });
    } catch (error) {
      throw FitGraphError.network(`The gateway did not answer: ${error instanceof Error ? error.message : String(error)}`);
    }
    const text = await response.text();
    try {
      return JSON.parse(text) as FormattedExecutionResult<TData>;
    } catch {
      throw FitGraphError.network(`The gateway answered HTTP ${response.status} without GraphQL: ${text.slice(0, 200)}`);
    }
  }

  // ---------------------------------------------------------------- subscriptions

  /**
   * Subscribes over graphql-ws. When the connection drops (network change, app back from the
   * background, gateway restart, expired token), it reconnects with backoff and, given a
   * `resume` rule, re-subscribes from the last event seen, so the server replays what was
   * missed: nothing lost, nothing twice.
   */
  subscribe<TData, TVariables extends Record<string, unknown>>(
    document: TypedDocumentNode<TData, TVariables>,
    variables: NoInfer<TVariables>,
    handlers: SubscriptionHandlers<TData>,
    resume?: ResumeRule<TData>,
  ): Unsubscribe {
    let cursor: string | null = resume ? ((variables[resume.argument] as string | null | undefined) ?? null) : null;
    let stopped = false;
    let attempt = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let dispose: (() => void) | undefined;

    const retry = () => {
      dispose?.();
      dispose = undefined;
      // Exponential backoff with full jitter, so a gateway restart is not met by every client at once.
      const delay = Math.random() * Math.min(this.maxReconnectDelayMs, 250 * 2 ** attempt);
      attempt += 1;
      timer = setTimeout(open, delay);
    };
    const fail = (error: FitGraphError) => {
      if (stopped) return;
      stopped = true;
      dispose?.();
      handlers.error?.(error);
    };
    const open = () => {
      if (stopped) return;
      const resumed = resume && cursor ? { ...variables, [resume.argument]: cursor } : variables;
      const { query, ...rest } = this.body(document, resumed);
      // graphql-ws requires a `query` string: empty when the hash names the document.
      dispose = this.ws.subscribe<TData>({ query: (query as string | undefined) ?? '', ...rest } as never, {
        next: (result) => {
          if (stopped) return;
          if (result.errors?.length && !result.data) {
            // The gateway ends a stream whose token expired upstream with UNAUTHENTICATED, and one
            // whose subgraph is gone with INTERNAL_SERVER_ERROR: both are worth a resumed retry.
            if (isUnauthenticated(result.errors)) this.tokenRefused = true;
            if (isUnauthenticated(result.errors) || result.errors.some((error) => error.extensions?.code === 'INTERNAL_SERVER_ERROR')) {
              return retry();
            }
            return fail(new FitGraphError(result.errors));
          }
          attempt = 0;
          if (result.data) {
            if (resume) cursor = resume.cursor(result.data) ?? cursor;
            handlers.next(result.data);
          }
        },
        error: (error) => {
          if (stopped) return;
          if (Array.isArray(error)) return fail(new FitGraphError(error as GraphQLFormattedError[]));
          if (closeCodeOf(error) === unauthorizedCloseCode) this.tokenRefused = true;
          retry();
        },
        complete: () => {
          if (stopped || timer) return;
          stopped = true;
          handlers.complete?.();
        },
      });
      timer = undefined;
    };
    open();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      dispose?.();
    };
  }

  /** Calls `listener` whenever the WebSocket connects or closes; returns a function that stops it. */
  onConnectionChange(listener: (state: ConnectionState) => void): () => void {
    const offConnected = this.ws.on('connected', () => listener('connected'));
    const offClosed = this.ws.on('closed', () => listener('disconnected'));
    return () => {
      offConnected();
      offClosed();
    };
  }

  /**
   * Drops the WebSocket now: every subscription reconnects and resumes. Call it when the app
   * comes back from the background or the network changed (a socket may be dead without
   * knowing it yet).
   */
  reconnect(): void {
    this.ws.terminate();
  }

  /** Closes the WebSocket for good. */
  async dispose(): Promise<void> {
    await this.ws.dispose();
  }
}
