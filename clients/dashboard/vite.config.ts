import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * The dashboard talks to the gateway on its own origin: `/graphql` (HTTP and WebSocket) is
 * proxied to FITGRAPH_GATEWAY (default: the gateway of `pnpm start`), so no CORS is needed.
 */
const gateway = process.env.FITGRAPH_GATEWAY ?? 'http://127.0.0.1:4000';
const proxy = { '/graphql': { target: gateway, ws: true, changeOrigin: true } };

export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  server: { host: '127.0.0.1', port: 5173, proxy },
  preview: { host: '127.0.0.1', port: 4173, proxy },
  build: { outDir: 'dist', emptyOutDir: true },
});
