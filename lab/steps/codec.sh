# The codec server (`smokestack codec-server`, docs/encryption.md) with the
# lab's key, so the Web UI shows the demo's encrypted payloads decoded. It
# listens on loopback and answers only requests that carry the lab's codec
# token; the Temporal dev server is started with the token in the UI's codec
# endpoint (lab/steps/temporal.sh), since the dev server's UI cannot send a
# header. The token is never printed: lines say "<token>".

LAB_CODEC_PORT="${LAB_CODEC_PORT:-8081}"
LAB_CODEC_ENDPOINT="http://127.0.0.1:$LAB_CODEC_PORT"
# Made by ensure_secrets; the demo's worker and CLI use the keys too (lab/demo.sh).
LAB_CODEC_KEYS="$LAB_STATE/secrets/codec-keys"
LAB_CODEC_TOKEN_FILE="$LAB_STATE/secrets/codec-token"

# The Web UI's codec endpoint: the token as the first path segment. Secret: pass it on, never echo it.
lab_codec_ui_endpoint() { printf '%s/%s' "$LAB_CODEC_ENDPOINT" "$(cat "$LAB_CODEC_TOKEN_FILE")"; }

ensure_codec_server() {
  if codec_server_answers && codec_server_refuses_strangers; then info "answering on $LAB_CODEC_ENDPOINT/<token>"; return; fi
  # One started by an older lab (no token, or another one) holds the port.
  stop_lab_codec_server
  # The UI is reached as localhost or 127.0.0.1: the browser's Origin is whichever was typed.
  start_lab_server codec-server codec_server_answers 60 \
    env SMOKESTACK_CODEC_KEYS_FILE="$LAB_CODEC_KEYS" SMOKESTACK_CODEC_TOKEN_FILE="$LAB_CODEC_TOKEN_FILE" \
    node "$REPO_ROOT/bin/smokestack.js" -c "$REPO_ROOT/smokestack.yml" \
    codec-server --port "$LAB_CODEC_PORT" \
    --origin "http://localhost:$TEMPORAL_UI_PORT" "http://127.0.0.1:$TEMPORAL_UI_PORT" \
    || die "the codec server did not answer"
  codec_server_refuses_strangers || die "the codec server on $LAB_CODEC_ENDPOINT answers without its token"
  info "answering on $LAB_CODEC_ENDPOINT/<token> (token: $LAB_CODEC_TOKEN_FILE, log: $LAB_STATE/codec-server.log)"
}

# An empty batch decodes to an empty batch, through the token path as the UI
# calls it. curl reads the URL from stdin, so the token is not in its argv.
codec_server_answers() {
  [ "$(printf 'url = "%s/decode"\n' "$(lab_codec_ui_endpoint)" | curl -s -K - -X POST -H 'content-type: application/json' -d '{"payloads":[]}' 2>/dev/null)" = '{"payloads":[]}' ]
}

# Without the token: refused (an older codec server answered everyone).
codec_server_refuses_strangers() {
  [ "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'content-type: application/json' -d '{"payloads":[]}' "$LAB_CODEC_ENDPOINT/decode" 2>/dev/null)" = 401 ]
}

stop_lab_codec_server() {
  local pid
  pid=$(cat "$LAB_STATE/codec-server.pid" 2>/dev/null) && [ -n "$pid" ] && grep -q 'codec-server' "/proc/$pid/cmdline" 2>/dev/null || return 0
  info "stopping the codec server an older lab started (pid $pid)"
  kill "$pid"
  for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.25; done
  die "the codec server (pid $pid) did not stop"
}
