# The outer Docker engine: CI and fresh machines ship only a client.
ensure_engine() {
  if docker info >/dev/null 2>&1; then info "running ($(docker info --format '{{.ServerVersion}}'))"; return; fi
  info "starting dockerd (log: /var/log/dockerd.log)"
  setsid nohup dockerd --host unix:///var/run/docker.sock --pidfile /var/run/dockerd.pid \
    >/var/log/dockerd.log 2>&1 </dev/null &
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && { info "running"; return; }
    sleep 1
  done
  tail -20 /var/log/dockerd.log >&2
  die "dockerd did not answer within 60s"
}
