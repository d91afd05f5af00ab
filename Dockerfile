# One image for every FitGraph service; docker-compose picks the service with SERVICE.
# Production runs the compiled bundles (`pnpm build`: <package>/dist/index.js) with plain node:
# no TypeScript loader in memory (about 100 MiB less RSS per process than tsx, see bench/README.md)
# and no pnpm process between the container and the service (signals reach node directly).
FROM node:20-bookworm-slim AS deps
WORKDIR /app
RUN npm install -g pnpm@10.34.9
COPY pnpm-lock.yaml pnpm-workspace.yaml package.json ./
COPY packages/service-kit/package.json packages/service-kit/
COPY packages/platform/package.json packages/platform/
COPY stack/package.json stack/
COPY testkit/package.json testkit/
COPY gateway/package.json gateway/
COPY subgraphs/user/package.json subgraphs/user/
COPY subgraphs/gym/package.json subgraphs/gym/
COPY subgraphs/workout/package.json subgraphs/workout/
COPY subgraphs/nutrition/package.json subgraphs/nutrition/
COPY subgraphs/chat/package.json subgraphs/chat/
COPY clients/sdk/package.json clients/sdk/
COPY clients/dashboard/package.json clients/dashboard/
RUN pnpm install --frozen-lockfile

FROM deps AS runtime
COPY . .
RUN pnpm build
ENV NODE_ENV=production HOST=0.0.0.0 LOG_LEVEL=info APOLLO_TELEMETRY_DISABLED=true
# SERVICE: gateway | user-subgraph | gym-subgraph | workout-subgraph | nutrition-subgraph | chat-subgraph
ENV SERVICE=gateway
USER node
EXPOSE 4000 4001 4002 4003 4004 4005
# `exec`: node replaces the shell as PID 1 (no pnpm wrapper in between), so SIGTERM reaches the
# service, which drains and exits 0 (stopOnSignals). Each service runs its compiled bundle (`pnpm build`).
STOPSIGNAL SIGTERM
CMD ["sh", "-c", "case \"$SERVICE\" in gateway) exec node gateway/dist/index.js ;; *-subgraph) exec node \"subgraphs/${SERVICE%-subgraph}/dist/index.js\" ;; *) echo \"unknown SERVICE=$SERVICE\" >&2; exit 64 ;; esac"]
