#!/usr/bin/env bash
# Starts the whole lab, building what is missing and reusing what is cached:
# Docker engine, lab registry with the stand-in images, Temporal dev server
# with its Web UI, and the four SSH hosts. Safe to run again at any time.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
for f in "$LAB_ROOT"/steps/*.sh; do source "$f"; done
[ "$(id -u)" = 0 ] || die "the lab installs packages and runs dockerd: run it as root"

t_start=$(now)
mkdir -p "$LAB_STATE"
step "Debian packages";        ensure_packages
step "Docker engine";          ensure_engine
step "Lab tools (Go builds)";  ensure_tools
step "Lab registry";           ensure_registry
step "Stand-in images";        ensure_images
step "Host images";            ensure_host_images
step "Lab secrets";            ensure_secrets
step "Lab hosts";              ensure_hosts
if [ "${LAB_TEMPORAL:-1}" = 1 ]; then
  step "Temporal dev server";  ensure_temporal
fi
step "Lab ready in $(elapsed "$t_start")"
info "hosts: ${LAB_HOSTS[*]}  (ssh key: $LAB_SSH_KEY)"
info "registry: http://$LAB_REGISTRY/v2/"
[ "${LAB_TEMPORAL:-1}" = 1 ] && info "Temporal: localhost:$TEMPORAL_PORT  Web UI: http://localhost:$TEMPORAL_UI_PORT"
exit 0
