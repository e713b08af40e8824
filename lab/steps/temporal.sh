# The Temporal CLI's dev server: the real server on SQLite, Web UI built in.
# Tests start their own through TestWorkflowEnvironment.createLocal.

# Search attributes smokestack sets on its workflows (Web UI filters).
LAB_SEARCH_ATTRIBUTES=(SmokestackEnvironment=Keyword SmokestackVersion=Keyword SmokestackOutcome=Keyword)

ensure_temporal() {
  if temporal_answers; then info "answering on :$TEMPORAL_PORT"; return; fi
  local sa=() a
  for a in "${LAB_SEARCH_ATTRIBUTES[@]}"; do sa+=(--search-attribute "$a"); done
  info "starting temporal server start-dev (log: $LAB_STATE/temporal.log)"
  setsid nohup "$LAB_BIN/temporal" server start-dev --ip 127.0.0.1 --port "$TEMPORAL_PORT" \
    --ui-port "$TEMPORAL_UI_PORT" --db-filename "$LAB_STATE/temporal.db" --log-level warn \
    "${sa[@]}" >"$LAB_STATE/temporal.log" 2>&1 </dev/null &
  echo $! > "$LAB_STATE/temporal.pid"
  for _ in $(seq 1 60); do
    temporal_answers && { info "answering on :$TEMPORAL_PORT, Web UI http://localhost:$TEMPORAL_UI_PORT"; return; }
    sleep 0.5
  done
  tail -20 "$LAB_STATE/temporal.log" >&2
  die "Temporal did not answer"
}

temporal_answers() {
  "$LAB_BIN/temporal" operator cluster health --address "127.0.0.1:$TEMPORAL_PORT" >/dev/null 2>&1
}
