#!/usr/bin/env bash
# What the unit tests need, without the rest of the lab (no Docker engine, no
# hosts, no images): the Temporal CLI (its dev server runs the workflow
# tests), Compose v2 and v1 (they validate docker-compose.temporal.yml), and
# actionlint with shellcheck (they lint the GitHub workflows). A few seconds
# once cached; `npm run test:unit` runs it first.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
for f in "$LAB_ROOT"/steps/*.sh; do source "$f"; done

step "Tools the unit tests need"
mkdir -p "$LAB_STATE"; : >"$LAB_TIMINGS"
missing=()
command -v shellcheck >/dev/null || missing+=(shellcheck)
command -v docker-compose >/dev/null || missing+=(docker-compose)
python3 -m pip --version >/dev/null 2>&1 || missing+=(python3-pip)
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die "the unit tests need Debian's ${missing[*]}: install them (apt-get install ${missing[*]}), or run this as root"
  info "installing from Debian: ${missing[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v go >/dev/null || die "Go is needed to build actionlint for the unit tests"
mkdir -p "$LAB_BIN" "$LAB_TOOLS"
ensure_temporal_cli
ensure_compose_v2
ensure_actionlint
