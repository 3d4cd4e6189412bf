# syntax=docker/dockerfile:1
# netdiag-exporter image. Build: docker build --build-arg REVISION=$(git rev-parse HEAD) -t netdiag-exporter .
# Privilege model: UID 65534, node carries cap_net_raw+ep; run it with every capability dropped but NET_RAW
# (docker run --cap-drop=ALL --cap-add=NET_RAW; the Helm chart's default). Why this works even with
# allowPrivilegeEscalation: false, and what fails without NET_RAW: docs/deployment.md.

# --- build: the toolchain for the node-gyp addons (ours in native/, raw-socket's), the TypeScript build,
# then dev dependencies pruned.
FROM node:20-bookworm-slim AS build
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json binding.gyp ./
COPY native ./native
# --ignore-scripts: `prepare` would run tsc before the sources are here; the native addons are built next:
# raw-socket's, and ours by the package's own install script (node-gyp, into build/Release).
RUN npm ci --ignore-scripts --no-audit --no-fund && npm rebuild raw-socket && npm run install
COPY tsconfig.json index.ts ./
COPY types ./types
COPY probes ./probes
COPY exporter ./exporter
COPY scripts/write-build-info.mjs ./scripts/
# The build context has no .git: the commit comes in as a build argument
# (docker build --build-arg REVISION=$(git rev-parse HEAD) .), for --version and netdiag_build_info.
ARG REVISION=unknown
RUN npx tsc -p tsconfig.json && NETDIAG_REVISION=$REVISION node scripts/write-build-info.mjs \
  && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

# --- runtime: node, the production dependencies (with the compiled addon) and dist; nothing else.
FROM node:20-bookworm-slim AS runtime
# cap_net_raw+ep on node gives the non-root user CAP_NET_RAW, within what the runtime grants the container.
# setuid/setgid bits are removed so that nothing else in the image can gain privileges.
RUN apt-get update \
  && apt-get install -y --no-install-recommends libcap2-bin \
  && setcap cap_net_raw+ep /usr/local/bin/node \
  && apt-get purge -y libcap2-bin \
  && apt-get autoremove -y \
  && rm -rf /var/lib/apt/lists/* \
  && find / -xdev -type f -perm /6000 -exec chmod a-s {} +
ENV NODE_ENV=production
# Two glibc malloc arenas (exporter/cli/malloc-arenas.ts): set here, the exporter need not start itself again for it.
ENV MALLOC_ARENA_MAX=2
WORKDIR /app
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
# The status page's scripts and style sheet, served as they are (dist/exporter/status finds them here).
COPY --from=build /src/exporter/status/public ./exporter/status/public
# The native socket module (kernel timestamps); without it the exporter falls back to raw-socket.
COPY --from=build /src/build/Release/netdiag_raw_socket.node ./build/Release/netdiag_raw_socket.node
# _exit for the end of shutdown (a DNS lookup left waiting cannot hold a stopped exporter), execve for the start
# (malloc arenas): native/process.cc.
COPY --from=build /src/build/Release/netdiag_process.node ./build/Release/netdiag_process.node
COPY config.example.yaml /etc/netdiag-exporter/config.yaml
USER 65534:65534
EXPOSE 9469
# The slim image has no curl: the CLI's own healthcheck asks /-/healthy over HTTP, then HTTPS (a web config
# may turn TLS on), and counts a 401 (basic auth) as serving too.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "/app/dist/exporter/cli/main.js", "healthcheck", "--web.listen-address=127.0.0.1:9469"]
# ENTRYPOINT is the CLI alone so that `docker run IMAGE ping HOST` works too; CMD is the exporter's default.
ENTRYPOINT ["node", "/app/dist/exporter/cli/main.js"]
CMD ["--config.file=/etc/netdiag-exporter/config.yaml"]
