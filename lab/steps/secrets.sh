# The lab's secrets: random values made once, kept in the cache (mode 0600),
# read by the worker through smokestack.yml like production's secret files.
ensure_secrets() {
  local dir="$LAB_STATE/secrets" name
  mkdir -p "$dir"; chmod 700 "$dir"
  # base64 carries "+", "/" and "=": the app password must survive URL-encoding.
  for name in mongo-root-password mongo-app-password vapid-private-key; do
    [ -s "$dir/$name" ] || (umask 077; head -c 24 /dev/urandom | base64 > "$dir/$name")
  done
  # Shaped like a real webhook (discord.js checks); nothing listens for it.
  [ -s "$dir/discord-webhook-url" ] || (umask 077; printf 'https://discord.com/api/webhooks/100000000000000001/%s\n' \
    "$(head -c 51 /dev/urandom | base64 | tr -d '/+=' | head -c 68)" > "$dir/discord-webhook-url")
  # The payload encryption key of the demo's worker, CLI and codec server (docs/encryption.md).
  [ -s "$dir/codec-keys" ] || (umask 077; printf 'lab-1:%s\n' "$(head -c 32 /dev/urandom | base64)" > "$dir/codec-keys")
  # The approvers' SSH keys (docs/promotion.md): bob and carol are listed in
  # the allowed signers file the lab config names; mallory is no approver.
  mkdir -p "$dir/approvers"; chmod 700 "$dir/approvers"
  for name in bob carol mallory; do
    [ -s "$dir/approvers/$name" ] || ssh-keygen -q -t ed25519 -N '' -C "$name@lab" -f "$dir/approvers/$name"
  done
  [ -s "$dir/approvers/allowed_signers" ] || for name in bob carol; do
    printf '%s namespaces="smokestack-approval" %s\n' "$name" "$(cut -d' ' -f1,2 "$dir/approvers/$name.pub")"
  done > "$dir/approvers/allowed_signers"
  # The codec server's token (docs/encryption.md): hex, so it fits in the Web UI's codec endpoint URL.
  [ -s "$dir/codec-token" ] || (umask 077; head -c 32 /dev/urandom | od -An -v -tx1 | tr -d ' \n' > "$dir/codec-token")
  info "$dir"
}
