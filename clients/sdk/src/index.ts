export { createFitGraphClient, FitGraph, type MachineStatusEvent } from './fitgraph';
export {
  FitGraphClient,
  newClientMessageId,
  type ConnectionState,
  type FitGraphClientOptions,
  type ResumeRule,
  type Session,
  type SubscriptionHandlers,
  type Unsubscribe,
} from './client';
export { clientErrorCodes, FitGraphError } from './errors';
export { memoryTokenStore, type TokenStore } from './token-store';
/** Every operation as a TypedDocumentNode, with its result and variables types. */
export * from './generated/graphql';
