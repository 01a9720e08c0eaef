# syntax=docker/dockerfile:1
# One image for every frec process: the feature server, the stream workers, the daily jobs and
# StreamRec's recommender. tsx runs the TypeScript directly (no build step), so the runtime
# stage holds the sources and the production dependencies only. Linted by deploy/test/dockerfile.test.ts.
# The base is the Node release this repo is developed and tested on, pinned by tag.

# Every workspace's package.json at its path, and nothing else: the install layer below is reused
# until a manifest or the lockfile changes, whatever else in the tree changed.
FROM node:20.20.2-bookworm-slim AS manifests
WORKDIR /src
COPY . .
RUN mkdir -p /out \
    && find . -name package.json -not -path '*/node_modules/*' -exec cp --parents {} /out \; \
    && cp package-lock.json .npmrc /out/

# Production dependencies only. Native addons (better-sqlite3, usearch, DuckDB, onnxruntime)
# install prebuilt binaries; the compilers are here for a platform that has none.
FROM node:20.20.2-bookworm-slim AS deps
WORKDIR /app
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 make g++ \
    && rm -rf /var/lib/apt/lists/*
COPY --from=manifests /out/ ./
RUN npm ci --omit=dev --no-audit --no-fund \
    && npm cache clean --force

FROM node:20.20.2-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOME=/tmp \
    NPM_CONFIG_CACHE=/tmp/.npm \
    NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /app
RUN groupadd --system --gid 10001 frec \
    && useradd --system --uid 10001 --gid frec --home-dir /tmp --shell /usr/sbin/nologin frec
COPY --from=deps /app/ ./
COPY packages/ ./packages/
COPY examples/streamrec/ ./examples/streamrec/
# Owned by root and read-only to the service user; data/ and /tmp are volumes at run time.
USER 10001:10001
EXPOSE 6566 8080
ENTRYPOINT ["node", "packages/cli/bin/frec.js"]
CMD ["--help"]
