# The lab hosts (LAB_HOSTS): containers that act as machines, each with an IP
# on the lab network, sshd (key auth with the lab's own key) and a Docker engine.

# deploy directory of each environment (UPSTREAM.md; it names none for the
# old cloud Pi, smokecloud: /opt/smart-smoker).
lab_deploy_dir() {
  case $1 in
    dev-cloud) echo /opt/smart-smoker-dev ;;
    prod-cloud) echo /opt/smart-smoker-prod ;;
    smokecloud) echo /opt/smart-smoker ;;
    *) echo /opt/smoker-device ;;
  esac
}

# Packages of a lab host beyond minbase, per Debian suite.
host_packages() {
  local common=docker.io,openssh-server,iproute2,ca-certificates,curl,procps
  case $1 in
    bookworm) echo "$common,docker-compose" ;;  # Compose v1 beside the v2 plugin
    *) echo "$common,docker-cli" ;;  # trixie ships the client separately
  esac
}

ensure_host_rootfs() { # SUITE
  local suite=$1 rootfs="$SMOKESTACK_CACHE/rootfs/host-$1"
  [ -f "$rootfs/.lab-id" ] && { info "$suite rootfs: cached"; return; }
  local t0 log="$LAB_STATE/debootstrap-$suite.log"; t0=$(now)
  info "$suite rootfs: debootstrap with $(host_packages "$suite") (log: $log)"
  rm -rf "$rootfs" "$rootfs.tmp"; mkdir -p "$(dirname "$rootfs")"; : >"$log"
  run_logged "$log" debootstrap --variant=minbase --include="$(host_packages "$suite")" \
    "$suite" "$rootfs.tmp" "$(debian_mirror)"
  rm -rf "$rootfs.tmp"/var/cache/apt/archives/*.deb
  # Names this rootfs: the host-base image made from it carries the id, so
  # a rootfs built anew is imported anew, never shadowed by an old image.
  echo "$suite-$(date +%s)" > "$rootfs.tmp/.lab-id"
  mv "$rootfs.tmp" "$rootfs"
  info "$suite rootfs: ready in $(elapsed "$t0")"; record_time "  $suite rootfs (debootstrap, background)" "$t0"
}

# debootstrap is network and disk bound while the Go builds are CPU bound:
# start_host_rootfs_builds runs every suite's in the background, and
# wait_host_rootfs_builds joins them (their output is in their logs).
LAB_ROOTFS_JOBS=()
start_host_rootfs_builds() {
  local suite
  for suite in "${LAB_SUITES[@]}"; do
    ensure_host_rootfs "$suite" &
    LAB_ROOTFS_JOBS+=("$suite:$!")
  done
}
wait_host_rootfs_builds() {
  local job failed=()
  for job in "${LAB_ROOTFS_JOBS[@]}"; do
    wait "${job#*:}" || failed+=("${job%%:*}")
  done
  LAB_ROOTFS_JOBS=()
  [ ${#failed[@]} = 0 ] || die "the root filesystem of ${failed[*]} could not be built (see above)"
}

# Sets LAB_HOST_IMAGE_<suite>: the host image (base + lab/host files + Compose v2).
ensure_host_image() { # SUITE
  local suite=$1 rootfs="$SMOKESTACK_CACHE/rootfs/host-$1" base
  ensure_host_rootfs "$suite"
  base="smokestack-lab/host-base:$(cat "$rootfs/.lab-id")"
  if ! docker image inspect "$base" >/dev/null 2>&1; then
    info "importing $base"
    tar -C "$rootfs" -c . | docker import - "$base" >/dev/null
  fi
  local ctx image; ctx=$(mktemp -d)
  cp "$LAB_ROOT"/host/* "$ctx"/
  cp "$LAB_BIN/docker-compose" "$ctx/docker-compose"
  docker image inspect -f '{{.Id}}' "$base" > "$ctx/base-id"
  image="smokestack-lab/host:$suite-$(content_hash "$ctx"/*)"
  if ! docker image inspect "$image" >/dev/null 2>&1; then
    info "building $image"
    local out
    out=$(DOCKER_BUILDKIT=0 docker build -q -t "$image" --build-arg BASE="$base" "$ctx" 2>&1) || { echo "$out" >&2; die "host image build failed"; }
  else
    info "host image $image cached"
  fi
  rm -rf "$ctx"
  printf -v "LAB_HOST_IMAGE_$suite" '%s' "$image"
}

ensure_host_images() {
  local suite
  for suite in "${LAB_SUITES[@]}"; do ensure_host_image "$suite"; done
}

debian_mirror() {
  local uri
  uri=$(grep -hoE '^(URIs:|deb) *https?://[^ ]+' /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null \
    | grep -v security | head -1 | grep -oE 'https?://[^ ]+') || true
  echo "${uri:-http://deb.debian.org/debian}"
}

ensure_ssh_key() {
  mkdir -p "$(dirname "$LAB_SSH_KEY")"; chmod 700 "$(dirname "$LAB_SSH_KEY")"
  [ -f "$LAB_SSH_KEY" ] || ssh-keygen -q -t ed25519 -N '' -C smokestack-lab -f "$LAB_SSH_KEY"
  info "key $LAB_SSH_KEY"
}

ensure_network() {
  docker network inspect "$LAB_NETWORK" >/dev/null 2>&1 && return
  docker network create --subnet "$LAB_SUBNET" --gateway "$LAB_GATEWAY" "$LAB_NETWORK" >/dev/null
  info "network $LAB_NETWORK ($LAB_SUBNET)"
}

ensure_host() { # NAME IP SUITE
  local name=$1 ip=$2 c; c=$(host_container "$name")
  local image_var="LAB_HOST_IMAGE_$3"; local image=${!image_var}
  local running; running=$(docker inspect -f '{{.State.Running}} {{.Config.Image}}' "$c" 2>/dev/null || true)
  if [ "$running" = "true $image" ]; then
    info "$name ($ip): running"
  else
    # A new host is a new machine: its engine state goes with the old one.
    [ -n "$running" ] && docker rm -f "$c" >/dev/null
    docker volume rm -f "$c-docker" >/dev/null 2>&1 || true
    local devices=0; case $name in smoker*) devices=1 ;; esac
    docker run -d --name "$c" --hostname "$name" --init \
      --network "$LAB_NETWORK" --ip "$ip" \
      --cap-add ALL --cap-drop SYS_RESOURCE \
      --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
      --cgroupns=host -v /sys/fs/cgroup:/sys/fs/cgroup:rw \
      -v "$c-docker:/var/lib/docker" \
      -e LAB_REGISTRY="$LAB_GATEWAY:$LAB_REGISTRY_PORT" \
      -e LAB_DEPLOY_DIR="$(lab_deploy_dir "$name")" -e LAB_DEVICE_NODES="$devices" \
      --label smokestack.lab=host "$image" >/dev/null
    info "$name ($ip): started"
  fi
  docker exec -i "$c" sh -c 'cat > /root/.ssh/authorized_keys && chmod 600 /root/.ssh/authorized_keys' < "$LAB_SSH_KEY.pub"
}

wait_host() { # NAME IP
  local name=$1 ip=$2 c; c=$(host_container "$name")
  for _ in $(seq 1 90); do
    if docker exec "$c" docker info >/dev/null 2>&1 &&
       ssh -q -i "$LAB_SSH_KEY" -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
         -o ConnectTimeout=3 "root@$ip" true 2>/dev/null; then
      return 0
    fi
    sleep 1
  done
  docker exec "$c" tail -20 /var/log/dockerd.log >&2 || true
  die "host $name did not come up (sshd and dockerd)"
}

ensure_hosts() {
  ensure_ssh_key
  ensure_network
  local entry
  for entry in "${LAB_HOSTS[@]}"; do ensure_host "$(host_name "$entry")" "$(host_ip "$entry")" "$(host_suite "$entry")"; done
  for entry in "${LAB_HOSTS[@]}"; do wait_host "$(host_name "$entry")" "$(host_ip "$entry")"; done
  pin_host_keys
  info "all hosts answer over SSH with their Docker engines up"
}

# The hosts' SSH keys, pinned for smokestack.yml's knownHostsFile. Read from
# each host itself through docker exec, the one channel no network sits in:
# never from what answers on port 22. A host made anew has new keys.
pin_host_keys() {
  local entry name ip known="$LAB_KNOWN_HOSTS.new"
  : > "$known"; chmod 600 "$known"
  for entry in "${LAB_HOSTS[@]}"; do
    name=$(host_name "$entry"); ip=$(host_ip "$entry")
    docker exec "$(host_container "$name")" sh -c 'cat /etc/ssh/ssh_host_*_key.pub' | awk -v ip="$ip" '{ print ip, $1, $2 }' >> "$known"
  done
  mv "$known" "$LAB_KNOWN_HOSTS"
  info "host keys pinned in $LAB_KNOWN_HOSTS"
}
