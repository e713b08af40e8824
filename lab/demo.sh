#!/usr/bin/env bash
# The demo: the lab, a worker, and a real deploy of v1 to dev-cloud that you
# can watch in the Temporal Web UI. The lab and the worker keep running after
# it, so you can look around and deploy again (npx smokestack deploy ...).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"
bash lab/up.sh

# The demo encrypts its payloads with the lab's key (docs/encryption.md): the
# worker and the CLI below share it, Temporal's history holds ciphertext, and
# the Web UI shows it decoded through the lab's codec server. Other clients of
# this worker need the key too: export SMOKESTACK_CODEC_KEYS_FILE as below.
source "$LAB_ROOT/steps/codec.sh"
export SMOKESTACK_CODEC_KEYS_FILE="$LAB_CODEC_KEYS"

step "Worker"
worker=$(pgrep -f "tsx src/worker.ts" | head -1 || true)
if [ -n "$worker" ] && ! tr '\0' '\n' <"/proc/$worker/environ" | grep -qxF "SMOKESTACK_CODEC_KEYS_FILE=$SMOKESTACK_CODEC_KEYS_FILE"; then
  # One started before the demo encrypted would refuse the CLI's encrypted input.
  info "restarting the worker (pid $worker): it runs without the lab's codec key"
  kill "$worker"; while kill -0 "$worker" 2>/dev/null; do sleep 0.2; done
  worker=
fi
if [ -n "$worker" ]; then
  info "already running"
else
  start_detached node --import tsx src/worker.ts >"$LAB_STATE/worker.log" 2>&1 </dev/null
  echo $! > "$LAB_STATE/worker.pid"
  info "started (log: $LAB_STATE/worker.log)"
fi

step "Deploy v1 to dev-cloud (open the Web UI link to watch it)"
status=0
node bin/smokestack.js deploy dev-cloud --version v1 --wait || status=$?

step "Discord (the lab's stand-in) was told"
sleep 1 # the notices are delivered beside the deploy, by its notifier workflow
tail -n 2 "$LAB_STATE/discord.jsonl" 2>/dev/null | node -e 'require("fs").readFileSync(0, "utf8").trim().split("\n").filter(Boolean).forEach((l) => console.log("    " + JSON.parse(l).title))' || true

step "Temporal Web UI: http://localhost:$TEMPORAL_UI_PORT/namespaces/default/workflows"
info "payloads are encrypted (key lab-1); the UI decodes them through $LAB_CODEC_ENDPOINT/<token> (the token: $LAB_CODEC_TOKEN_FILE)"
info "the CLI needs the key:  export SMOKESTACK_CODEC_KEYS_FILE=$SMOKESTACK_CODEC_KEYS_FILE"
info "deploy again:  npx smokestack deploy dev-cloud --version v2 --wait"
info "stop the lab:  npm run lab:down"
exit $status
