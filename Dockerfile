# syntax=docker/dockerfile:1
# istio-migrate: the Slack bot image. Multi-stage: build with dev dependencies, run with production ones only.

FROM node:22-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 compiles from source when no prebuilt binary can be fetched.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
COPY bin ./bin
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY commands ./commands
# Only the bot's own sources are compiled for the image (tsconfig.build.json: src/ and commands/); the tests and
# benches are not copied in. `npm ci` runs `prepare` (the development build) over the same sources; the image's
# build starts from a clean dist.
RUN npm ci
RUN rm -rf dist && npm run build:image
RUN npm prune --omit=dev

FROM node:22-bookworm-slim
ENV NODE_ENV=production
# Memory: fewer glibc malloc arenas and a small young generation keep RSS down; `npm run bench:wave` measures a
# 10,000-runtime wave with the same settings (and the old space capped at 128 MB). Override NODE_OPTIONS in the
# chart's env if a landscape needs more heap.
ENV MALLOC_ARENA_MAX=2 NODE_OPTIONS="--max-old-space-size=192 --max-semi-space-size=4"
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/dist/commands ./dist/commands
COPY --from=build /app/bin ./bin
COPY --from=build /app/package.json ./package.json
# The journal (SQLite) and the embedded landscape write only under /data: mount a volume there; the root
# filesystem can be read-only.
RUN mkdir -p /data && chown node:node /data
WORKDIR /data
USER node
EXPOSE 3000 8080
ENTRYPOINT ["node", "/app/bin/istio-migrate.js"]
CMD ["bot"]
