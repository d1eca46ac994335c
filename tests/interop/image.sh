#!/usr/bin/env bash
# Builds the container image with podman from a static binary built here (the named build
# context "builder" replaces the Dockerfile's first stage), checks it is small and runs as
# non-root, then runs `spec` and a `read` against the mock on the host network.
# IMAGE_PROFILE picks the cargo profile (default: release; CI uses the quicker ci-image).
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/interop/lib.sh
PROFILE=${IMAGE_PROFILE:-release}
command -v podman > /dev/null && command -v runc > /dev/null || apt_install podman runc
VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
[ -n "$VERSION" ] || { echo "no version in Cargo.toml"; exit 1; }
t0=$SECONDS
RUSTFLAGS="-C target-feature=+crt-static" \
  cargo build --quiet --profile "$PROFILE" -p source-linkedin-pages --target x86_64-unknown-linux-gnu
STATIC="$TARGET_DIR/x86_64-unknown-linux-gnu/$PROFILE/source-linkedin-pages"
ldd "$STATIC" 2>&1 | grep -q "statically linked\|not a dynamic executable" || { echo "$STATIC is not static"; ldd "$STATIC"; exit 1; }
echo "image: static binary ($PROFILE) built after $((SECONDS - t0))s"
mkdir -p "$WORK/ctx/out"
cp "$STATIC" "$WORK/ctx/out/"
export CONTAINERS_CONF="$PWD/tests/interop/containers.conf"
# The tag is the crate version (localhost/ is what podman names a local image).
IMAGE=localhost/source-linkedin-pages:$VERSION
podman build --quiet --build-context builder="$WORK/ctx" --build-arg VERSION="$VERSION" \
  -t "$IMAGE" -f Dockerfile . > /dev/null
label=$(podman image inspect "$IMAGE" --format '{{index .Config.Labels "io.airbyte.version"}}')
[ "$label" = "$VERSION" ] || { echo "io.airbyte.version label is '$label', not $VERSION"; exit 1; }
size=$(podman image inspect "$IMAGE" --format '{{.Size}}')
user=$(podman image inspect "$IMAGE" --format '{{.Config.User}}')
envs=$(podman image inspect "$IMAGE" --format '{{.Config.Env}}')
echo "image: $IMAGE, $((size / 1024 / 1024)) MiB ($size bytes), user $user"
echo "$envs" | grep -q "AIRBYTE_ENTRYPOINT=/usr/local/bin/source-linkedin-pages" || { echo "AIRBYTE_ENTRYPOINT is not set: $envs"; exit 1; }
[ "$user" != "" ] && [ "$user" != "root" ] && [ "$user" != "0" ] || { echo "the image runs as root"; exit 1; }
podman run --rm "$IMAGE" spec > "$WORK/spec.out"
grep -q '"type":"SPEC"' "$WORK/spec.out" || { echo "no SPEC from the image"; cat "$WORK/spec.out"; exit 1; }
start_mock
cat > "$WORK/config.json" <<JSON
{"credentials": {"auth_method": "access_token", "access_token": "mock-token"},
 "api_base_url": "$MOCK_URL/rest", "oauth_base_url": "$MOCK_URL/oauth/v2"}
JSON
cp catalog/all_streams.json "$WORK/catalog.json"
chmod a+r "$WORK"/*.json && chmod a+x "$WORK"
podman run --rm --network host -v "$WORK:/data:ro" "$IMAGE" \
  read --config /data/config.json --catalog /data/catalog.json > "$WORK/read.out" 2> "$WORK/read.err" \
  || { echo "read in the container failed"; tail -5 "$WORK/read.err"; exit 1; }
records=$(grep -c '"type":"RECORD"' "$WORK/read.out")
echo "image: read $records records from the mock inside the container"
[ "$records" -gt 1000 ] || { echo "too few records"; exit 1; }
# A config only its owner may read (0600, as `auth --write-config` writes it): the image's
# user cannot, and the error must say which uid needs access.
mkdir -p "$WORK/private" && cp "$WORK/config.json" "$WORK/private/config.json"
chmod 600 "$WORK/private/config.json" && chmod 755 "$WORK/private"
podman run --rm --network host -v "$WORK/private:/data:ro" "$IMAGE" check --config /data/config.json \
  > "$WORK/denied.out" 2> /dev/null || true
grep -q 'permission denied.*runs as uid 65532' "$WORK/denied.out" \
  || { echo "an unreadable config does not name uid 65532:"; cat "$WORK/denied.out"; exit 1; }
echo "image: an unreadable (0600) config is reported with the image's uid 65532"
echo "image: done in ${SECONDS}s"
