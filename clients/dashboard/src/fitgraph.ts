import { createFitGraphClient, type TokenStore } from '@fitgraph/sdk';

/** The session survives a reload; each browser profile (and test context) has its own. */
const browserStore: TokenStore = {
  getItem: (key) => window.localStorage.getItem(key),
  setItem: (key, value) => window.localStorage.setItem(key, value),
  removeItem: (key) => window.localStorage.removeItem(key),
};

/** The dashboard's one client: the gateway on this origin (Vite proxies /graphql). */
export const fitgraph = createFitGraphClient({
  url: new URL('/graphql', window.location.href).href,
  tokenStore: browserStore,
  maxReconnectDelayMs: 4000,
});
