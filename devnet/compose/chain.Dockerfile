# The devnet's EVM dev chain: anvil, chain id 31337, the same chain and funded
# accounts as `npm run devnet`. Its build context is .docker-stage/chain: the
# anvil binary of this checkout's npm ci (@foundry-rs/anvil), linked there by
# `npm run devnet:compose` (devnet/compose/images.ts). BASE is the tcf image's
# base: anvil needs glibc and libgcc, node runs the healthcheck.
ARG BASE=node:24-bookworm-slim
FROM ${BASE}

COPY anvil /usr/local/bin/anvil

USER node
EXPOSE 8545
# Healthy once it answers JSON-RPC with the devnet's chain id (31337 = 0x7a69).
HEALTHCHECK --interval=2s --timeout=3s --retries=30 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8545', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_chainId\",\"params\":[]}' }).then((r) => r.json()).then((b) => process.exit(b.result === '0x7a69' ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["anvil"]
CMD ["--host", "0.0.0.0", "--port", "8545", "--chain-id", "31337", "--quiet"]
