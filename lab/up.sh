#!/usr/bin/env bash
# Starts the whole lab, building what is missing and reusing what is cached:
# Docker engine, lab registry with the stand-in images, Temporal dev server
# with its Web UI, and the four SSH hosts. Safe to run again at any time.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
for f in "$LAB_ROOT"/steps/*.sh; do source "$f"; done
[ "$(id -u)" = 0 ] || die "the lab installs packages and runs dockerd: run it as root"

t_start=$(now)
mkdir -p "$LAB_STATE"; : >"$LAB_TIMINGS"
lab_step "Debian packages"      ensure_packages
lab_step "Docker engine"        ensure_engine
start_host_rootfs_builds  # in the background, while the tools build
lab_step "Lab tools"            ensure_tools
lab_step "Host root filesystems (waiting for the background builds)" wait_host_rootfs_builds
lab_step "Lab registry"         ensure_registry
lab_step "Stand-in images"      ensure_images
lab_step "Host images"          ensure_host_images
lab_step "Lab secrets"          ensure_secrets
lab_step "Lab hosts"            ensure_hosts
lab_step "Discord stand-in"     ensure_discord
if [ "${LAB_TEMPORAL:-1}" = 1 ]; then
  lab_step "Codec server"         ensure_codec_server
  lab_step "Temporal dev server" ensure_temporal
fi
record_time total "$t_start"
step "Lab ready in $(elapsed "$t_start")"
info "hosts: ${LAB_HOSTS[*]}  (ssh key: $LAB_SSH_KEY)"
info "registry: http://$LAB_REGISTRY/v2/"
[ "${LAB_TEMPORAL:-1}" = 1 ] && info "Temporal: localhost:$TEMPORAL_PORT  Web UI: http://localhost:$TEMPORAL_UI_PORT (decodes through $LAB_CODEC_ENDPOINT/<token>)"
exit 0
