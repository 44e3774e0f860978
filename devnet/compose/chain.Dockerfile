# The devnet's EVM dev chain: `hardhat node`, chain id 31337, the same chain
# and funded accounts as `npm run devnet`. Its build context is
# .docker-stage/chain: hardhat and what it needs, staged from this checkout's
# npm ci output by `npm run devnet:compose` (devnet/compose/images.ts), and
# hardhat.config.cjs. BASE is the tcf image's base.
ARG BASE=node:24-bookworm-slim
FROM ${BASE}

WORKDIR /chain
COPY node_modules ./node_modules
COPY hardhat.config.cjs ./

USER node
ENV HARDHAT_DISABLE_TELEMETRY_PROMPT=true
EXPOSE 8545
# Healthy once it answers JSON-RPC with the devnet's chain id (31337 = 0x7a69).
HEALTHCHECK --interval=2s --timeout=3s --retries=30 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8545', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_chainId\",\"params\":[]}' }).then((r) => r.json()).then((b) => process.exit(b.result === '0x7a69' ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "node_modules/hardhat/internal/cli/bootstrap.js", "--config", "hardhat.config.cjs", "node"]
CMD ["--hostname", "0.0.0.0", "--port", "8545"]
