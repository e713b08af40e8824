# A Smart Smoker service stand-in: labsvc serving the real ports and
# health endpoints. v1 and v2 differ in content (so in digest); "broken"
# starts and listens, then fails every health probe.
ARG BASE
FROM ${BASE}
ARG ROLE
ARG VERSION
ARG BROKEN=0
ENV STANDIN_ROLE=${ROLE} STANDIN_VERSION=${VERSION} STANDIN_BROKEN=${BROKEN}
LABEL org.opencontainers.image.version=${VERSION} smokestack.lab.role=${ROLE}
CMD ["/usr/local/bin/labsvc", "serve"]
