# syntax=docker/dockerfile:1
# elsa-server: one static binary (musl) with the Elsa Studio inside, on distroless: no shell, no
# package manager, runs as non-root and on a read-only root filesystem (only /app/data, the
# SQLite default's folder, and /tmp are written). deploy/kubernetes runs it.
#   docker build -t elsa-rs/elsa-server:0.1.0 .
#   docker run -p 8080:8080 -v elsa-data:/app/data -e ASPNETCORE_ENVIRONMENT=Development elsa-rs/elsa-server:0.1.0

# The Studio's npm package, fetched here so nothing is fetched at run time. Its sha512 is
# checked against the one pinned in the binary when it is unpacked below.
FROM node:24.11-bookworm-slim AS studio
WORKDIR /studio
RUN npm pack --silent @elsa-workflows/elsa-studio-wasm@3.8.2 && mv ./*.tgz studio.tgz

FROM rust:1.95-slim-bookworm AS build
# musl-gcc compiles the C parts (QuickJS, mimalloc, ring) for the static target.
RUN apt-get update \
 && apt-get install -y --no-install-recommends musl-tools=1.2.3-1 \
 && rm -rf /var/lib/apt/lists/* \
 && rustup target add x86_64-unknown-linux-musl
WORKDIR /src
COPY . .
# e.g. --build-arg CARGO_FEATURES=otlp for OpenTelemetry traces over OTLP
ARG CARGO_FEATURES=""
RUN cargo build --release --locked --target x86_64-unknown-linux-musl --bin elsa-server \
      --features "${CARGO_FEATURES}" \
 && install -D target/x86_64-unknown-linux-musl/release/elsa-server /out/usr/local/bin/elsa-server
COPY --from=studio /studio/studio.tgz /tmp/studio.tgz
RUN mkdir -p /out/app/data \
 && Elsa__Studio__Path=/out/app/studio /out/usr/local/bin/elsa-server studio install --from /tmp/studio.tgz

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/usr/local/bin/elsa-server /usr/local/bin/elsa-server
COPY --from=build --chown=65532:65532 /out/app /app
WORKDIR /app
ENV Elsa__Studio__Path=/app/studio
USER 65532:65532
EXPOSE 8080
VOLUME ["/app/data"]
ENTRYPOINT ["elsa-server"]
CMD ["serve"]
