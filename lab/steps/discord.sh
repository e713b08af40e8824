# A stand-in for Discord's webhook API (an outside service), so the lab's
# notices are delivered and can be read: $LAB_STATE/discord.jsonl.

LAB_DISCORD_PORT="${LAB_DISCORD_PORT:-5099}"

ensure_discord() {
  if discord_answers; then info "answering on :$LAB_DISCORD_PORT (messages: $LAB_STATE/discord.jsonl)"; return; fi
  start_lab_server discord discord_answers 40 node "$LAB_ROOT/discord/standin.mjs" "$LAB_DISCORD_PORT" "$LAB_STATE/discord.jsonl" \
    || die "the Discord stand-in did not answer"
  info "answering on :$LAB_DISCORD_PORT (messages: $LAB_STATE/discord.jsonl)"
}

# Anything but a refused connection: it answers 404 to a GET.
discord_answers() {
  curl -s -o /dev/null "http://127.0.0.1:$LAB_DISCORD_PORT/" 2>/dev/null
}
