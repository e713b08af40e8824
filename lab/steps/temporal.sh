# The Temporal CLI's dev server: the real server on SQLite, Web UI built in.
# Tests start their own through TestWorkflowEnvironment.createLocal.

# Search attributes smokestack sets on its workflows (Web UI filters).
LAB_SEARCH_ATTRIBUTES=(SmokestackEnvironment=Keyword SmokestackVersion=Keyword SmokestackOutcome=Keyword)

ensure_temporal() {
  if temporal_answers; then
    if ! lab_temporal_pid >/dev/null || temporal_has_codec_endpoint; then info "answering on :$TEMPORAL_PORT"; return; fi
    # Started by an older lab, before the Web UI's codec endpoint carried the token: the same database, restarted with it.
    info "restarting it with the Web UI's codec endpoint $LAB_CODEC_ENDPOINT/<token>"
    stop_lab_temporal
  fi
  local sa=() a
  for a in "${LAB_SEARCH_ATTRIBUTES[@]}"; do sa+=(--search-attribute "$a"); done
  info "starting temporal server start-dev (log: $LAB_STATE/temporal.log)"
  start_detached "$LAB_BIN/temporal" server start-dev --ip 127.0.0.1 --port "$TEMPORAL_PORT" \
    --ui-port "$TEMPORAL_UI_PORT" --db-filename "$LAB_STATE/temporal.db" --log-level warn \
    --ui-codec-endpoint "$(lab_codec_ui_endpoint)" "${sa[@]}" >"$LAB_STATE/temporal.log" 2>&1 </dev/null
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

# The pid of the dev server this lab started, if it still runs.
lab_temporal_pid() {
  local pid
  pid=$(cat "$LAB_STATE/temporal.pid" 2>/dev/null) && [ -n "$pid" ] && grep -q 'temporal' "/proc/$pid/cmdline" 2>/dev/null && echo "$pid"
}

# The Web UI's codec endpoint, token included (the dev server has no flag to pass a header: --ui-codec-endpoint only).
temporal_has_codec_endpoint() {
  tr '\0' ' ' <"/proc/$(lab_temporal_pid)/cmdline" | grep -qF -- "--ui-codec-endpoint $(lab_codec_ui_endpoint) "
}

stop_lab_temporal() {
  local pid
  pid=$(lab_temporal_pid) || return 0
  kill "$pid"
  for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.25; done
  die "Temporal (pid $pid) did not stop"
}
