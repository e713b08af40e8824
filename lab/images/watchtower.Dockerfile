# Stand-in for containrrr/watchtower: logs, never updates anything.
ARG BASE
FROM ${BASE}
ENTRYPOINT ["/usr/local/bin/watchtower"]
