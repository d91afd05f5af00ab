import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHandler as createRawHandler, type HandlerOptions, type OperationContext } from 'graphql-sse';

/** What graphql-sse's hooks see of one request: its response, and what the transport decided before streaming. */
export interface SseRequestContext<Decided> {
  res: ServerResponse;
  decided: Decided;
}

/** The operation graphql-sse is handed to stream (the text that was admitted). */
export interface SseOperation {
  query: string;
  operationName?: string;
  variables?: Record<string, unknown>;
}

/**
 * graphql-sse's handler on node:http, streaming an operation the caller has read and checked
 * already (within the request size limit: graphql-sse's own adapters read the body with no
 * limit). graphql-sse is handed it as a JSON POST whatever the request's method, so a GET and a
 * POST (and a trusted document's id, which graphql-sse would not know) stream alike.
 */
export function createSseHandler<Context extends OperationContext, Decided>(
  options: HandlerOptions<IncomingMessage, SseRequestContext<Decided>, Context>,
) {
  const handler = createRawHandler(options);
  return async (req: IncomingMessage, res: ServerResponse, operation: SseOperation, decided: Decided): Promise<void> => {
    const [result, init] = await handler({
      method: 'POST',
      url: req.url ?? '/',
      headers: {
        get: (key) => {
          if (key === 'content-type') return 'application/json';
          const header = req.headers[key];
          return Array.isArray(header) ? header.join('\n') : header;
        },
      },
      body: JSON.stringify(operation),
      raw: req,
      context: { res, decided },
    });
    res.writeHead(init.status, init.statusText, init.headers);
    if (!result || typeof result === 'string') {
      await new Promise<void>((resolve) => res.end(result ?? undefined, resolve));
      return;
    }
    res.once('close', () => void result.return(undefined));
    for await (const value of result) {
      if (!res.writable) break;
      const closed = await new Promise<boolean>((resolve, reject) => res.write(value, (error) => (error ? reject(error) : resolve(!res.writable))));
      if (closed) break;
    }
    res.end();
  };
}
