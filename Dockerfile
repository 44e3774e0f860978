# syntax=docker/dockerfile:1
# The tcf node image: `docker run tcf node start --home /data` runs a validator.
# Node 24 runs the TypeScript sources directly (type stripping), so there is no build step.
FROM node:24-bookworm-slim

WORKDIR /app

# Dependencies first, so that a source change does not reinstall them. All of
# them: protocol/index.ts loads the hardhat dev chain helper, which resolves
# hardhat when the module loads, so the CLI does not start without it.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund && npm cache clean --force

COPY bin ./bin
COPY consensus ./consensus
COPY devnet ./devnet
COPY node ./node
COPY protocol ./protocol
COPY sandbox ./sandbox

# The non-root `node` user of the base image owns the node home and the
# devnet's shared directory; named volumes mounted there inherit it.
RUN mkdir -p /data /shared && chown node:node /data /shared
USER node
VOLUME ["/data"]

# p2p and HTTP API of a validator by default (TCF_P2P_LISTEN, TCF_API_PORT move them)
EXPOSE 7600 7700

# The API answers /v1/status once the node runs; node itself probes it, no curl in the image.
HEALTHCHECK --interval=5s --timeout=3s --start-period=30s --retries=5 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.TCF_API_PORT ?? 7700}/v1/status`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

ENTRYPOINT ["node", "bin/tcf.ts"]
CMD ["node", "start", "--home", "/data"]
