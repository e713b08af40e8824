# The codec server (`smokestack codec-server`, docs/encryption.md) with the
# lab's key, so the Web UI shows the demo's encrypted payloads decoded. It
# listens on loopback; the Temporal dev server is started with it as the
# UI's codec endpoint (lab/steps/temporal.sh).

LAB_CODEC_PORT="${LAB_CODEC_PORT:-8081}"
LAB_CODEC_ENDPOINT="http://127.0.0.1:$LAB_CODEC_PORT"
# Made by ensure_secrets; the demo's worker and CLI use it too (lab/demo.sh).
LAB_CODEC_KEYS="$LAB_STATE/secrets/codec-keys"

ensure_codec_server() {
  if codec_server_answers; then info "answering on $LAB_CODEC_ENDPOINT"; return; fi
  # The UI is reached as localhost or 127.0.0.1: the browser's Origin is whichever was typed.
  start_lab_server codec-server codec_server_answers 60 \
    env SMOKESTACK_CODEC_KEYS_FILE="$LAB_CODEC_KEYS" node "$REPO_ROOT/bin/smokestack.js" -c "$REPO_ROOT/smokestack.yml" \
    codec-server --port "$LAB_CODEC_PORT" \
    --origin "http://localhost:$TEMPORAL_UI_PORT" "http://127.0.0.1:$TEMPORAL_UI_PORT" \
    || die "the codec server did not answer"
  info "answering on $LAB_CODEC_ENDPOINT (log: $LAB_STATE/codec-server.log)"
}

# An empty batch decodes to an empty batch.
codec_server_answers() {
  [ "$(curl -s -X POST -H 'content-type: application/json' -d '{"payloads":[]}' "$LAB_CODEC_ENDPOINT/decode" 2>/dev/null)" = '{"payloads":[]}' ]
}
