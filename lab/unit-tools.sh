#!/usr/bin/env bash
# What the unit tests need, without the rest of the lab (no Docker engine, no
# hosts, no images): the Temporal CLI (its dev server runs the workflow
# tests), Compose v2 and v1 (they validate docker-compose.temporal.yml), and
# actionlint with shellcheck (they lint the GitHub workflows), promtool (it
# checks the alert rules). A few seconds
# once cached; `npm run test:unit` runs it first.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
for f in "$LAB_ROOT"/steps/*.sh; do source "$f"; done

step "Tools the unit tests need"
mkdir -p "$LAB_STATE"; : >"$LAB_TIMINGS"
missing=()
command -v shellcheck >/dev/null || missing+=(shellcheck)
command -v docker-compose >/dev/null || missing+=(docker-compose)
python3 -m pip --version >/dev/null 2>&1 || missing+=(python3-pip)
install_from_debian "${missing[@]}"
command -v go >/dev/null || die "Go is needed to build actionlint for the unit tests"
mkdir -p "$LAB_BIN" "$LAB_TOOLS"
ensure_temporal_cli
ensure_compose_v2
ensure_actionlint
ensure_promtool
