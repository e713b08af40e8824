#!/usr/bin/env bash
# Removes the lab's hosts, network and servers. Caches (Go builds, rootfs,
# images, registry content) are kept so the next lab:up is warm.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
step "Removing lab hosts"
for entry in "${LAB_HOSTS[@]}"; do
  c=$(host_container "$(host_name "$entry")")
  docker rm -f "$c" >/dev/null 2>&1 && info "removed $c" || true
  docker volume rm -f "$c-docker" >/dev/null 2>&1 || true
done
docker network rm "$LAB_NETWORK" >/dev/null 2>&1 || true
step "Stopping lab servers"
for svc in temporal registry discord codec-server; do
  pidfile="$LAB_STATE/$svc.pid"
  if [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null; then info "stopped $svc"; fi
  rm -f "$pidfile"
done
step "Lab removed (caches kept in $SMOKESTACK_CACHE)"
