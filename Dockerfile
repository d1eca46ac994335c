# source-linkedin-pages: a static binary in an empty image.
#
# With Docker or podman:  docker build --build-arg VERSION=0.1.0 -t source-linkedin-pages:0.1.0 .
# `make image` builds the static binary on the host and passes it as the named build
# context "builder", which replaces the first stage (no base image download, no compile in
# the container); the tag and VERSION are the crate version from Cargo.toml.
# Image names are fully qualified, so podman (which has no default registry) builds it too.

FROM docker.io/library/rust:1-slim-bookworm AS builder
WORKDIR /src
COPY . .
# Static glibc (crt-static); build scripts and macros stay dynamic thanks to --target.
RUN RUSTFLAGS="-C target-feature=+crt-static" \
    cargo build --locked --release -p source-linkedin-pages --target x86_64-unknown-linux-gnu \
 && mkdir /out && cp target/x86_64-unknown-linux-gnu/release/source-linkedin-pages /out/

FROM scratch
ARG VERSION=0.1.0
COPY --from=builder /out/source-linkedin-pages /usr/local/bin/source-linkedin-pages
# Not root: a numeric user, as there is no /etc/passwd in an empty image.
USER 65532:65532
ENV AIRBYTE_ENTRYPOINT="/usr/local/bin/source-linkedin-pages"
ENTRYPOINT ["/usr/local/bin/source-linkedin-pages"]
LABEL io.airbyte.name="source-linkedin-pages" \
      io.airbyte.version="${VERSION}" \
      org.opencontainers.image.title="source-linkedin-pages" \
      org.opencontainers.image.description="Airbyte and Singer source for LinkedIn Pages (Community Management API)" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="MIT"
