# syntax=docker/dockerfile:1
# stream-sync: keeps a Stream app's configuration equal to a mounted YAML file.
#
#   docker build -t stream-sync .
#   docker run --read-only -v "$PWD/config:/config:ro" -v stream-sync-state:/state \
#     -e STREAM_API_KEY -e STREAM_API_SECRET -p 9464:9464 stream-sync
#
# (the default command is `watch -f /config/stream.yaml --state-file /state/state.json --listen 0.0.0.0:9464`)
#
# The build context is an allowlist (.dockerignore); test/docker/image.test.ts replays these stages.

ARG NODE_IMAGE=node:22-bookworm-slim
# The image's version label; test/docker/image.test.ts keeps it equal to package.json's version.
ARG VERSION=0.1.0
# Where the image was built from, for the source and revision labels (no default: a made-up URL would mislead):
#   docker build --build-arg SOURCE_URL="$(git remote get-url origin)" --build-arg REVISION="$(git rev-parse HEAD)" .
ARG SOURCE_URL=""
ARG REVISION=""

# Compiles TypeScript with the dev dependencies; only dist/ leaves this stage.
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# Production dependencies only, installed from the lockfile.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
ARG VERSION
ARG SOURCE_URL
ARG REVISION
LABEL org.opencontainers.image.title="stream-sync" \
      org.opencontainers.image.description="Keeps a Stream (GetStream.io) app's configuration equal to a YAML file: validate, plan, apply, watch." \
      org.opencontainers.image.source="${SOURCE_URL}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.version="${VERSION}"
ENV NODE_ENV=production
WORKDIR /app
COPY package.json ./
COPY schema ./schema
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
# `stream-sync` on the PATH; /state is where the state file goes (the root filesystem and /config can be
# read-only), owned by the unprivileged user so a named volume mounted there is writable.
RUN chmod 0755 /app/dist/cli.js \
 && ln -s /app/dist/cli.js /usr/local/bin/stream-sync \
 && mkdir -p /config /state \
 && chown 1000:1000 /state
# The `node` user of the official image, numerically (uid and gid 1000): never root, and a numeric user lets
# Kubernetes' runAsNonRoot verify it without a runAsUser.
USER 1000:1000
VOLUME ["/state"]
EXPOSE 9464
# /healthz of `--listen 0.0.0.0:9464` (the default command); node's own fetch, as the image has no curl.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9464/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Exec form, no shell: `stream-sync` is the CLI's `#!/usr/bin/env node` script, env execs node in place, so node
# is PID 1 and receives SIGTERM/SIGINT/SIGHUP itself (stream-sync installs its own handlers; it starts no child
# process, so there is nothing for an init to reap).
ENTRYPOINT ["stream-sync"]
# The state under /state, never beside the config: the default command works with a read-only /config.
CMD ["watch", "-f", "/config/stream.yaml", "--state-file", "/state/state.json", "--listen", "0.0.0.0:9464"]
