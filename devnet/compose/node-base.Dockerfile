# A stand-in for node:24-bookworm-slim where no image registry is reachable:
# Debian bookworm (debootstrap, imported as ${DEBIAN}) plus the Node binary
# this checkout already runs, under the same user the official image has
# (`node`, uid 1000), so the tcf Dockerfile runs unchanged on either.
ARG DEBIAN=tcf-base:bookworm
FROM ${DEBIAN}
COPY node /usr/local/bin/node
RUN groupadd --gid 1000 node \
  && useradd --uid 1000 --gid node --shell /bin/sh --create-home node \
  && node --version
CMD ["node"]
