# The tcf node image: `docker run tcf node start --home /data` runs a validator.
# Node 24 runs the TypeScript sources directly (type stripping), so there is no build step.
#
# BASE is the public Node 24 image; where no registry is reachable,
# `npm run devnet:compose` builds a local stand-in (devnet/compose/node-base.Dockerfile)
# and passes it here.
ARG BASE=node:24-bookworm-slim
FROM ${BASE}

WORKDIR /app

# Production dependencies only. `npm run devnet:compose` stages them from this
# checkout's own npm ci output in .docker-stage/app (the build needs no
# network); without a stage they are installed here. The `ap[p]` pattern
# matches nothing when there is no stage, which COPY accepts.
COPY package.json package-lock.json .docker-stage/ap[p] ./
RUN [ -d node_modules ] || (npm ci --omit=dev --no-audit --no-fund && npm cache clean --force)

COPY bin ./bin
COPY consensus ./consensus
COPY devnet ./devnet
COPY node ./node
COPY protocol ./protocol
COPY sandbox ./sandbox
# The web app the node serves at / (node/api/web.ts) is web/dist, built on the host by
# `npm run build:web` (npm test and npm run devnet:compose run it), so the image needs no bundler.
# Without a build the node serves the API alone.
COPY web ./web

# The non-root `node` user of the base image owns the node home and the
# devnet's shared directory; named volumes mounted there inherit it.
RUN mkdir -p /data /shared && chown node:node /data /shared
USER node
VOLUME ["/data"]

# Every node process of the image (daemon, agent, the compose devnet's
# commands) runs with the V8 flags of node/runtime-flags.ts.
ENV NODE_OPTIONS=--max-semi-space-size=32

# p2p and HTTP API of a validator by default (TCF_P2P_LISTEN, TCF_API_PORT move them)
EXPOSE 7600 7700

# Healthy means taking part in consensus: enough peers for a quorum and the
# height advancing (`tcf node health`, without loading the whole CLI), not
# merely an API that answers.
HEALTHCHECK --interval=5s --timeout=10s --start-period=60s --retries=5 \
  CMD node bin/tcf-health.ts "http://127.0.0.1:${TCF_API_PORT:-7700}"

ENTRYPOINT ["node", "bin/tcf.ts"]
CMD ["node", "start", "--home", "/data"]
