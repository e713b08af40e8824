# Stand-in images for every Smart Smoker service, built from nothing but
# busybox-static and the lab's own binaries, pushed to the lab registry under
# their Docker Hub names so hosts pull them exactly as production does.

# repository:role of every application image; each gets v1, v2 and broken.
LAB_APP_IMAGES=(
  benjr70/smart-smoker-backend:backend
  benjr70/smart-smoker-frontend:frontend
  benjr70/smart-smoker-device-service:device-service
  benjr70/smart-smoker-smoker:smoker-ui
  benjr70/smart-smoker-electron-shell:electron
)
LAB_APP_VERSIONS=(v1 v2 broken)
LAB_INFRA_TAGS=(library/mongo:7.0 containrrr/watchtower:latest-dev containrrr/watchtower:armhf-latest)

# The rootfs every stand-in shares: busybox applets and labsvc under the
# names the compose health checks call (node, curl, mongosh, ...).
build_service_base() {
  local tag=$1 dir; dir=$(mktemp -d)
  mkdir -p "$dir"/bin "$dir"/usr/local/bin "$dir"/apps/backend "$dir"/etc "$dir"/tmp "$dir"/data/db
  cp /bin/busybox "$dir/bin/busybox"
  for applet in $(/bin/busybox --list); do
    [ -e "$dir/bin/$applet" ] || ln -s busybox "$dir/bin/$applet"
  done
  cp "$LAB_BIN/labsvc" "$dir/usr/local/bin/labsvc"
  for alias in node curl mongosh pgrep docker-entrypoint.sh watchtower smoker-shell; do
    ln -s labsvc "$dir/usr/local/bin/$alias"
  done
  cat > "$dir/apps/backend/healthcheck.js" <<'JS'
require('http').get('http://localhost:3001/api/health', (r) => process.exit(r.statusCode === 200 ? 0 : 1)).on('error', () => process.exit(1));
JS
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' > "$dir/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' > "$dir/etc/group"
  chmod 1777 "$dir/tmp"
  tar -C "$dir" -c . | docker import \
    --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' --change 'WORKDIR /' - "$tag" >/dev/null
  rm -rf "$dir"
}

lab_build() { # TAG DOCKERFILE CONTEXT [--build-arg ...]
  local tag=$1 file=$2 ctx=$3; shift 3
  local out
  out=$(DOCKER_BUILDKIT=0 docker build -q -t "$tag" -f "$file" "$@" "$ctx" 2>&1) || { echo "$out" >&2; die "docker build $tag failed"; }
}

ensure_images() {
  local base_hash stamp base
  # The tools' links name their versions (and labsvc's its source hash).
  base_hash=$(content_hash "$LAB_ROOT"/images/*.Dockerfile "$LAB_ROOT/steps/images.sh" "$LAB_ROOT/images/arm-variant.mjs" \
    <(readlink "$LAB_BIN"/labsvc "$LAB_BIN"/ferretdb "$LAB_BIN"/mongodump "$LAB_BIN"/mongorestore) <(/bin/busybox | head -1))
  stamp="$LAB_STATE/images.$base_hash"
  if [ -e "$stamp" ] && registry_matches "$stamp"; then
    info "cached (recipe $base_hash), every tag in the registry at its digest"; return
  fi
  base="smokestack-lab/service-base:$base_hash"
  info "service base image $base"
  build_service_base "$base"

  local ctx; ctx=$(mktemp -d)
  cp "$LAB_BIN"/ferretdb "$LAB_BIN"/mongodump "$LAB_BIN"/mongorestore "$ctx"/
  local entry repo role version broken pushed=()
  for entry in "${LAB_APP_IMAGES[@]}"; do
    repo=${entry%%:*}; role=${entry##*:}
    for version in "${LAB_APP_VERSIONS[@]}"; do
      broken=0; [ "$version" = broken ] && broken=1
      lab_build "$LAB_REGISTRY/$repo:$version" "$LAB_ROOT/images/service.Dockerfile" "$ctx" \
        --build-arg BASE="$base" --build-arg ROLE="$role" --build-arg VERSION="$version" --build-arg BROKEN="$broken"
      pushed+=("$repo:$version")
    done
  done
  lab_build "$LAB_REGISTRY/library/mongo:7.0" "$LAB_ROOT/images/mongo.Dockerfile" "$ctx" --build-arg BASE="$base"
  lab_build "$LAB_REGISTRY/containrrr/watchtower:latest-dev" "$LAB_ROOT/images/watchtower.Dockerfile" "$ctx" --build-arg BASE="$base"
  docker tag "$LAB_REGISTRY/containrrr/watchtower:latest-dev" "$LAB_REGISTRY/containrrr/watchtower:armhf-latest"
  pushed+=("${LAB_INFRA_TAGS[@]}")
  rm -rf "$ctx"

  local ref
  for ref in "${pushed[@]}"; do
    docker push -q "$LAB_REGISTRY/$ref" >/dev/null || die "push $ref failed"
  done
  node "$LAB_ROOT/images/arm-variant.mjs" "http://$LAB_REGISTRY" benjr70/smart-smoker-device-service "${LAB_APP_VERSIONS[@]}" \
    || die "publishing the arm/v7 variant of device-service failed"
  info "pushed ${#pushed[@]} tags to the lab registry (device-service as amd64 + arm/v7)"
  mkdir -p "$LAB_STATE"; rm -f "$LAB_STATE"/images.*
  # The stamp records every tag's digest: a tag that a test moved and never
  # put back (a crash mid-test) is noticed and republished next time.
  for ref in "${pushed[@]}"; do echo "$ref $(registry_digest "$ref")"; done > "$stamp.tmp"
  mv "$stamp.tmp" "$stamp"
}

# The manifest digest the lab registry serves for REPO:TAG (empty if none).
registry_digest() {
  local ref=$1
  curl -fsSI -H 'Accept: application/vnd.docker.distribution.manifest.list.v2+json' \
    -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    -H 'Accept: application/vnd.oci.image.index.v1+json' -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    "http://$LAB_REGISTRY/v2/${ref%:*}/manifests/${ref##*:}" 2>/dev/null \
    | tr -d '\r' | awk 'tolower($1) == "docker-content-digest:" { print $2 }'
}

# registry_matches STAMP: every tag recorded in STAMP is served at its recorded digest.
registry_matches() {
  local ref digest now
  [ -s "$1" ] || return 1
  while read -r ref digest; do
    now=$(registry_digest "$ref")
    [ "$now" = "$digest" ] || { info "$ref is at ${now:-nothing}, not $digest: publishing again"; return 1; }
  done < "$1"
}
