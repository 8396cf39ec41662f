# One image for every gateway service; the service is the argument:
#   docker run edge-gateway metadata | core-data | core-command | device-service | app-service | console | gateway
# Node 24 LTS (Node 20 reached end of life on 2026-04-30); package.json's
# engines allow >=20.19, so Node 20 and 22 still run it outside the image.
FROM node:24-bookworm-slim AS build
WORKDIR /app
# Toolchain for better-sqlite3 when no prebuilt binary for this Node ABI can be
# downloaded (it then compiles from source).
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json tsconfig.image.json ./
COPY apps apps
COPY libs libs
# build-console.js (the web console, Vite: a dev dependency, pruned after).
COPY bin bin
# The services only (tsconfig.image.json): the benches import test/ helpers, which the image has not.
RUN npx tsc -p tsconfig.image.json && npx tsc-alias -p tsconfig.image.json && node bin/build-console.js \
  && npm prune --omit=dev

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY package.json ./
COPY bin bin
COPY resources resources
# The KubeEdge DMI proto device services load in mapper mode (GW_KUBEEDGE_MAPPER); dist/ has only compiled JS.
COPY libs/kubeedge-dmi/proto libs/kubeedge-dmi/proto
RUN mkdir -p /app/data && chown node:node /app/data
USER node
# No VOLUME: it gave every container of this image an anonymous volume, also
# the services that keep nothing in /app/data (metadata and core-data use
# PostgreSQL in compose). Mount a named volume where data lives instead:
# compose does for app-service; `docker run -v gateway-data:/app/data ...` for
# the one-process gateway (its SQLite files and the app service's outbox).
EXPOSE 59880 59881 59882 59900 59901 59902 59700 4000
# The default command (`gateway`, all services in one process) is healthy once
# core-metadata's port answers /api/v3/ready; compose overrides this per
# service with its own port.
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=5 \
  CMD ["node", "bin/healthcheck.js", "59881"]
ENTRYPOINT ["node", "bin/service.js"]
CMD ["gateway"]
