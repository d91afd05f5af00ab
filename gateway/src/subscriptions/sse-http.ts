import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHandler as createRawHandler, type HandlerOptions, type OperationContext } from 'graphql-sse';

export interface SseRequestContext {
  res: ServerResponse;
}

/**
 * graphql-sse's handler on node:http, given the request body already read (within the
 * request size limit, by the caller). graphql-sse's own adapters read the body with no limit;
 * an empty body here is graphql-sse's "Missing body" 400, never a wait on a consumed stream.
 */
export function createSseHandler<Context extends OperationContext>(options: HandlerOptions<IncomingMessage, SseRequestContext, Context>) {
  const handler = createRawHandler(options);
  return async (req: IncomingMessage, res: ServerResponse, body: string | null): Promise<void> => {
    const [result, init] = await handler({
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      headers: {
        get: (key) => {
          const header = req.headers[key];
          return Array.isArray(header) ? header.join('\n') : header;
        },
      },
      body,
      raw: req,
      context: { res },
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
