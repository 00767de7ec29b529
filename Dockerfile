# feedline production image: `feedline serve` (role from the command, see docker-compose.yml).
# Multi-stage: the build stage compiles TypeScript with every dependency; the runtime stage
# has production dependencies only, the compiled dist/, the migrations, and runs as a
# non-root user. CI builds it unchanged with buildah from a local stand-in base
# (scripts/base-image.sh) and runs each role from it (scripts/check-image-run.sh).

# The public image by default; offline builds pass a stand-in (README "Containers").
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
# Only for builds behind a TLS-intercepting proxy: a CA bundle mounted into the build
# (`-v host.crt:/path:ro`) and named here. Unset for a normal build; not in the runtime stage.
ARG NODE_EXTRA_CA_CERTS
# package-lock.json is written by npm 11; the npm 10 that Node 20 images ship refuses it
# ("Missing: esbuild@0.28.2 from lock file", an optional peer of vite), so `npm ci` runs
# with the npm the lockfile is made with.
ARG NPM_VERSION=11.19.1
RUN npm install --global --no-audit --no-fund --loglevel=error "npm@${NPM_VERSION}"
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY patches ./patches
COPY bin ./bin
COPY schema ./schema
COPY src ./src
COPY workers ./workers
# `npm ci` runs `postinstall` (patch-package: patches/, fixes in dependencies) and `prepare`
# (tsc -p tsconfig.build.json -> dist/); pruning then leaves the patched production
# dependencies for the runtime stage.
RUN npm ci --no-audit --no-fund && npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    FEEDLINE_HOME=/var/lib/feedline \
    FEEDLINE_HTTP_HOST=0.0.0.0 \
    FEEDLINE_HTTP_PORT=8080
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only, as patched in the build stage.
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY bin ./bin
# Applied at start by whichever process gets the advisory lock first.
COPY schema/migrations ./schema/migrations
RUN groupadd --system --gid 10001 feedline \
 && useradd --system --uid 10001 --gid feedline --home-dir /var/lib/feedline --shell /usr/sbin/nologin feedline \
 && mkdir -p /var/lib/feedline \
 && chown feedline:feedline /var/lib/feedline
USER feedline
# FEEDLINE_HOME: the raw archive with FEEDLINE_ARCHIVE=dir (share it between the scheduler and
# the workers), or only working copies with FEEDLINE_ARCHIVE=postgres.
VOLUME ["/var/lib/feedline"]
EXPOSE 8080
# Every serve role answers /healthz on FEEDLINE_HTTP_PORT.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.FEEDLINE_HTTP_PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM reaches node directly (exec form, no shell): it stops within FEEDLINE_SHUTDOWN_GRACE_MS.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "bin/feedline.js"]
CMD ["serve"]
