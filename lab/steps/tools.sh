# The lab's real servers and tools, built once from their Go modules into
# $LAB_BIN. go install refuses modules whose go.mod has replace/exclude
# directives, so each is built inside a throwaway module that requires it.
go_build_tool() { # OUT MODULE@VERSION PACKAGE [LDFLAGS]
  local out=$1 modver=$2 pkg=$3 ldflags=${4:-}
  [ -x "$LAB_BIN/$out" ] && { info "$out: cached"; return; }
  local t0 work; t0=$(now); work=$(mktemp -d)
  info "$out: building $pkg from $modver (minutes on a cold cache)"
  (
    cd "$work"
    go mod init labbuild/"$out" >/dev/null 2>&1
    go get "$modver" >/dev/null 2>&1
    CGO_ENABLED=0 go build -mod=mod -trimpath -ldflags "-s -w $ldflags" -o "$LAB_BIN/$out.tmp" "$pkg"
  ) || die "building $out failed"
  mv "$LAB_BIN/$out.tmp" "$LAB_BIN/$out"
  rm -rf "$work"
  info "$out: built in $(elapsed "$t0")"
}

ensure_tools() {
  mkdir -p "$LAB_BIN"
  if [ ! -x "$LAB_BIN/temporal" ] && command -v temporal >/dev/null; then
    ln -sf "$(command -v temporal)" "$LAB_BIN/temporal"
  fi
  go_build_tool temporal "github.com/temporalio/cli@$TEMPORAL_CLI_VERSION" github.com/temporalio/cli/cmd/temporal
  build_ferretdb
  go_build_tool mongodump "github.com/mongodb/mongo-tools@$MONGO_TOOLS_VERSION" github.com/mongodb/mongo-tools/mongodump/main
  go_build_tool mongorestore "github.com/mongodb/mongo-tools@$MONGO_TOOLS_VERSION" github.com/mongodb/mongo-tools/mongorestore/main
  go_build_tool docker-compose "github.com/docker/compose/v2@$COMPOSE_VERSION" github.com/docker/compose/v2/cmd \
    "-X github.com/docker/compose/v2/internal.Version=$COMPOSE_VERSION"
  go_build_tool actionlint "github.com/rhysd/actionlint@$ACTIONLINT_VERSION" github.com/rhysd/actionlint/cmd/actionlint
  ensure_labsvc
}

# labsvc is the lab's own stand-in binary (lab/labsvc); rebuilt when its source changes.
ensure_labsvc() {
  local src="$LAB_ROOT/labsvc" hash
  hash=$(content_hash "$src"/*.go "$src"/go.mod "$src"/go.sum)
  if [ -x "$LAB_BIN/labsvc" ] && [ "$(cat "$LAB_BIN/labsvc.hash" 2>/dev/null)" = "$hash" ]; then
    info "labsvc: cached"; return
  fi
  info "labsvc: building"
  (cd "$src" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$LAB_BIN/labsvc" .) || die "building labsvc failed"
  echo "$hash" > "$LAB_BIN/labsvc.hash"
}

# FerretDB embeds build/version/version.txt, which its module zip lacks (its
# own build generates it), and refuses to start without it. So it is built
# from a vendored copy in a throwaway module with that one file written in.
build_ferretdb() {
  [ -x "$LAB_BIN/ferretdb" ] && { info "ferretdb: cached"; return; }
  local t0 work pkg=github.com/FerretDB/FerretDB/cmd/ferretdb; t0=$(now); work=$(mktemp -d)
  info "ferretdb: building $pkg@$FERRETDB_VERSION (minutes on a cold cache)"
  (
    cd "$work"
    go mod init labbuild/ferretdb >/dev/null 2>&1
    printf '//go:build tools\n\npackage tools\n\nimport _ "%s"\n' "$pkg" > tools.go
    go get "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" >/dev/null 2>&1
    go mod tidy >/dev/null 2>&1 && go mod vendor
    echo "$FERRETDB_VERSION" > vendor/github.com/FerretDB/FerretDB/build/version/version.txt
    CGO_ENABLED=0 go build -mod=vendor -trimpath -ldflags "-s -w" -o "$LAB_BIN/ferretdb.tmp" "$pkg"
  ) || die "building ferretdb failed"
  mv "$LAB_BIN/ferretdb.tmp" "$LAB_BIN/ferretdb"
  rm -rf "$work"
  info "ferretdb: built in $(elapsed "$t0")"
}
