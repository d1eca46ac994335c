#!/usr/bin/env bash
# Airbyte's own standard tests (airbyte-cdk's airbyte_cdk.test.standard_tests) against the
# connector and the bundled mock:
#   1. in process: SourceTestSuiteBase through a proxy class that runs the binary
#      (tests/interop/airbyte_standard/test_standard.py);
#   2. the image: `airbyte-cdk image test` on the podman image (built by image.sh if it is
#      missing), with a `docker` on PATH that forwards to podman.
# Both read acceptance-test-config.yml from a temp connector root that also holds
# docs/airbyte/metadata.yaml and the configs (the mock's URL changes every run).
# Prints the pass/fail/skip counts of each; any failure fails the script.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/interop/lib.sh
venv cdk "airbyte-cdk==7.39.1" "pytest==9.2.0"
CDK="$VENV"
VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
IMAGE="localhost/source-linkedin-pages:$VERSION"
start_mock

REPO=$PWD
ROOT="$WORK/source-linkedin-pages"
mkdir -p "$ROOT/secrets" "$ROOT/integration_tests"
cp docs/airbyte/metadata.yaml tests/interop/airbyte_standard/acceptance-test-config.yml "$ROOT/"
cp spec.json "$ROOT/"
cat > "$ROOT/secrets/config.json" <<JSON
{"credentials": {"auth_method": "access_token", "access_token": "mock-token"},
 "api_base_url": "$MOCK_URL/rest", "oauth_base_url": "$MOCK_URL/oauth/v2"}
JSON
cat > "$ROOT/integration_tests/invalid_config.json" <<JSON
{"credentials": {"auth_method": "access_token", "access_token": "mock-expired"},
 "api_base_url": "$MOCK_URL/rest", "oauth_base_url": "$MOCK_URL/oauth/v2"}
JSON

status=0

t0=$SECONDS
(cd "$ROOT" && SOURCE_LINKEDIN_PAGES_BIN="$BIN" STANDARD_TESTS_ROOT="$ROOT" \
  "$CDK/bin/python" -m pytest -p no:cacheprovider -m "not image_tests" -q \
  --junitxml "$WORK/inprocess.xml" "$REPO/tests/interop/airbyte_standard/test_standard.py") \
  > "$WORK/inprocess.log" 2>&1 || status=1
[ -f "$WORK/inprocess.xml" ] || { tail -40 "$WORK/inprocess.log"; exit 1; }
python3 tests/interop/airbyte_standard/junit_summary.py "$WORK/inprocess.xml" > "$WORK/inprocess.txt"
head -n -1 "$WORK/inprocess.txt"
echo "airbyte standard tests, in process: $(tail -1 "$WORK/inprocess.txt") ($((SECONDS - t0))s)"
# The whole assertion of each failure (the first line above is cut short).
grep -E '^E  ' "$WORK/inprocess.log" | head -30 || true

if ! command -v podman > /dev/null || ! podman image exists "$IMAGE" 2> /dev/null; then
  IMAGE_PROFILE=${IMAGE_PROFILE:-ci-image} bash tests/interop/image.sh
fi
mkdir -p "$WORK/bin"
cp tests/interop/airbyte_standard/docker "$WORK/bin/docker"
export CONTAINERS_CONF="$PWD/tests/interop/containers.conf"
t0=$SECONDS
# `image test` passes pytest no --read-from-streams, and the read test skips without it;
# pytest takes it from PYTEST_ADDOPTS.
(cd "$ROOT" && PATH="$WORK/bin:$CDK/bin:$PATH" PYTEST_ADDOPTS="--read-from-streams=all" \
  airbyte-cdk image test "$ROOT" --image "$IMAGE") \
  > "$WORK/image.log" 2>&1 || status=1
JUNIT="$ROOT/build/test-results/standard-tests-junit.xml"
[ -f "$JUNIT" ] || { tail -40 "$WORK/image.log"; exit 1; }
python3 tests/interop/airbyte_standard/junit_summary.py "$JUNIT" > "$WORK/image.txt"
head -n -1 "$WORK/image.txt"
echo "airbyte standard tests, image $IMAGE: $(tail -1 "$WORK/image.txt") ($((SECONDS - t0))s)"
grep -E '^E  ' "$WORK/image.log" | head -30 || true
exit "$status"
