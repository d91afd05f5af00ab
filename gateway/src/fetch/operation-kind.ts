/**
 * The kind of operation a subgraph request body carries, read without parsing the JSON: the
 * gateway's data sources send `{"query":"<document>",...}` with the query planner's document,
 * which starts with its keyword (`query`, `mutation`, `subscription`) or `{`.
 */
export type OperationKind = 'query' | 'mutation' | 'subscription';

const queryKey = '"query":"';

/** `null` when the body is not a JSON string with a leading `query` document (e.g. persisted queries): treat as unknown. */
export function operationKindOf(body: unknown): OperationKind | null {
  if (typeof body !== 'string') return null;
  const start = body.indexOf(queryKey);
  if (start < 0) return null;
  // JSON-escaped leading whitespace (`\n`, `\t`, `\r`) and commas are insignificant in GraphQL.
  const head = body.slice(start + queryKey.length, start + queryKey.length + 64).replace(/^(?:[\s,]|\\[ntr])+/, '');
  if (head.startsWith('{') || /^query\b/.test(head)) return 'query';
  if (/^mutation\b/.test(head)) return 'mutation';
  if (/^subscription\b/.test(head)) return 'subscription';
  return null;
}
