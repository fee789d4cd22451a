# syntax=docker/dockerfile:1
# Team Mesh: dashboard + REST/WebSocket API, on Node 24. The server runs compiled (build/, from
# npm run build:server); the CLI runs its TypeScript by Node's type stripping.
#   docker build -t team-mesh .
#   docker run -d -p 127.0.0.1:8790:8790 -v team-mesh-data:/data -e MESH_ADMIN_PASSWORD=... team-mesh
# Or use docker-compose.yml. See docs/operations.md.

# --- build: all dependencies, then the web bundle (web/dist) and the compiled server (build/) -----
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Install scripts of dependencies are denied (package.json "allowScripts"): better-sqlite3 loads
# its prebuilt binary (prebuilds/linux-<arch>.node), esbuild its platform package.
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build:web && npm run build:server

# --- runtime: production dependencies only, unprivileged user ------------------------------------
FROM node:24-slim AS runtime
ENV NODE_ENV=production \
    MESH_HOST=0.0.0.0 \
    MESH_PORT=8790 \
    MESH_DATA_DIR=/data
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY server/ ./server/
COPY shared/ ./shared/
COPY migrations/ ./migrations/
COPY cli/ ./cli/
COPY bin/ ./bin/
COPY --from=build /app/web/dist ./web/dist
COPY --from=build /app/build ./build
# The data dir holds the SQLite file, the generated vault key (0600) and backups.
RUN mkdir -p /data && chown node:node /data && chmod 700 /data \
    && ln -s /app/bin/team-mesh.mjs /usr/local/bin/team-mesh
# `node` (uid 1000) comes with the official image.
USER node
VOLUME ["/data"]
EXPOSE 8790
# No curl in slim: node's fetch. Honour a changed MESH_PORT.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.MESH_PORT||8790)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# SIGTERM starts the graceful shutdown (MESH_SHUTDOWN_GRACE_SEC for in-flight sends).
STOPSIGNAL SIGTERM
CMD ["node", "--enable-source-maps", "build/server/main.js"]
