# Build stage: every dependency (the TypeScript compiler among them), src/ compiled to dist/.
FROM node:20-slim AS build
WORKDIR /app
# onnxruntime-node bundles its CPU binaries; its install script would only fetch CUDA ones (from
# nuget). npm 11 skips it by package.json's allowScripts; the npm 10 of node:20 needs this.
ENV ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json package-lock.json .npmrc ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
RUN npm run build

# Runtime stage: production dependencies and the build, no compiler, no sources.
# tests/ops/production-install.test.ts repeats these steps (no Docker engine in CI): keep them alike.
FROM node:20-slim
WORKDIR /app
ENV NODE_ENV=production ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev && npm cache clean --force
# scripts/ too: `npm run create-admin` / `npm run migrate` pass through `npm run build`, which keeps
# the existing build when there is no compiler.
COPY scripts ./scripts
COPY --from=build /app/dist ./dist

ENV PORT=8080 RAIA_DATA_DIR=/data
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
USER node
EXPOSE 8080
# Liveness (the process answers). Readiness (database, projection lag, NATS) is
# /api/v1/health/ready, for load balancers: a long projection rebuild must not get the container
# killed. node:20-slim has no curl; Node has fetch.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/api/v1/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node itself (not npm, not a shell) is PID 1, so SIGTERM reaches main.ts's handler: it stops
# accepting connections, finishes the requests in flight, closes the runtime and exits 0.
CMD ["node", "--enable-source-maps", "dist/main.js"]
