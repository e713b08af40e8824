# The lab registry (CNCF distribution, from Debian), on the outer machine.
# Lab hosts use it as their Docker Hub mirror, so images keep their names.
ensure_registry() {
  if curl -fsS "http://$LAB_REGISTRY/v2/" >/dev/null 2>&1; then info "answering on :$LAB_REGISTRY_PORT"; return; fi
  mkdir -p "$SMOKESTACK_CACHE/registry" "$LAB_STATE"
  cat > "$LAB_STATE/registry.yml" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $SMOKESTACK_CACHE/registry
  delete:
    enabled: true
http:
  addr: 0.0.0.0:$LAB_REGISTRY_PORT
YAML
  info "starting docker-registry (log: $LAB_STATE/registry.log)"
  setsid nohup docker-registry serve "$LAB_STATE/registry.yml" >"$LAB_STATE/registry.log" 2>&1 </dev/null &
  echo $! > "$LAB_STATE/registry.pid"
  for _ in $(seq 1 30); do
    curl -fsS "http://$LAB_REGISTRY/v2/" >/dev/null 2>&1 && { info "answering"; return; }
    sleep 0.5
  done
  die "the registry did not answer on :$LAB_REGISTRY_PORT"
}
