# source-linkedin-pages — every command a developer or CI needs.
.PHONY: build release test unit lint fmt interop demo spec clean fuzz image bench browser-deps

build:
	cargo build --workspace

release:
	cargo build --workspace --release

# Everything CI checks: formatting, lints, Rust tests, and the connector in the real
# tools (airbyte-protocol-models, PyAirbyte + DuckDB, Meltano, PostgreSQL, the podman
# image, Airbyte's standard tests).
test: lint unit interop

unit:
	cargo test --workspace

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	command -v cargo-machete >/dev/null || cargo install --locked cargo-machete
	cargo machete

fmt:
	cargo fmt --all

# Each script prints what it checked and how long it took. The image comes before
# airbyte_standard.sh, which tests it.
interop: build
	bash tests/interop/airbyte.sh
	bash tests/interop/pyairbyte.sh
	bash tests/interop/meltano.sh
	bash tests/interop/postgres.sh
	bash tests/interop/auth_browser.sh
	IMAGE_PROFILE=ci-image bash tests/interop/image.sh
	IMAGE_PROFILE=ci-image bash tests/interop/airbyte_standard.sh

# Prerequisites of the headless-browser test of `auth`: Debian's chromium and
# chromium-driver (installed if missing) and .venv-browser with Selenium.
browser-deps:
	bash -c 'source tests/interop/lib.sh && browser_env && echo "chromium: $$CHROMIUM, driver: $$CHROMEDRIVER, selenium venv: $$VENV"'

# The container image from a static release binary, tagged with the crate version
# (podman, installed from Debian if missing; `docker build .` elsewhere).
image: build
	bash tests/interop/image.sh

# End to end on the bundled mock: spec, check, discover, read; prints what it did.
demo: build
	bash tests/demo.sh

# Regenerate spec.json, schemas/, catalog/ and the golden runs from the code.
# One test thread: the generator of one file and a checker reading it never run at once.
spec: build
	UPDATE_SNAPSHOTS=1 cargo test --test it -- --test-threads=1 generated_files_are_in_sync golden_runs_per_protocol

clean:
	cargo clean
	rm -rf .venv* .tmp

# A longer property-test run over the parsers of outside input (config, catalog, state,
# API elements) and the mock's Rest.li parser.
fuzz:
	PROPTEST_CASES=20000 cargo test --release --test fuzz
	PROPTEST_CASES=20000 cargo test --release --test restli_fuzz

# Requests, wall time, memory and CPU at several sizes, side by side with the Airbyte
# Python connector; writes docs/benchmarks.md.
bench:
	bash tests/bench/run.sh
