# lbsim container image: the release binary on a distroless runtime, non-root, listening on
# 0.0.0.0:4566 inside the container, printing "Ready." once it listens, with a HEALTHCHECK.
#
#   docker build -t lbsim .
#   docker run --rm -p 127.0.0.1:4566:4566 lbsim
#   docker run --rm -p 127.0.0.1:4566:4566 -v "$PWD/lbsim.yaml:/etc/lbsim.yaml:ro" -e LBSIM_CONFIG=/etc/lbsim.yaml lbsim
#
# The admin API (/_lbsim/…, /moto-api/reset) answers loopback peers only, but the peer of a
# published port is the bridge gateway, never loopback. So the image allows every peer
# (LBSIM_ADMIN_ALLOW) and leaves the boundary to where the port is published: publish it on
# 127.0.0.1 as above, or set LBSIM_ADMIN_TOKEN (then every admin call must present the token) or
# a narrower LBSIM_ADMIN_ALLOW. Web pages still cannot drive it (Host, Origin and content-type
# rules); other containers reaching it by name need -e LBSIM_ADMIN_HOST=<name> (README, Docker).
#
# Needs BuildKit (the default builder since Docker 23) for the cache mounts. Base images are
# pinned by tag; pin them by digest too where builds must be reproducible.

FROM rust:1.95.0-slim-bookworm AS build
WORKDIR /src
COPY . .
# The registry and target caches persist between builds, so editing src/ rebuilds lbsim only.
# (No placeholder-source trick: it breaks as soon as Cargo.toml names a bench or test file.)
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin lbsim \
    && cp target/release/lbsim /usr/local/bin/lbsim

# glibc and libgcc only, no shell; uid 65532 is the image's "nonroot" user.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /usr/local/bin/lbsim /usr/local/bin/lbsim
USER 65532:65532
ENV LBSIM_LISTEN=0.0.0.0:4566 \
    LBSIM_LOG=info \
    LBSIM_ADMIN_ALLOW=0.0.0.0/0,::/0
EXPOSE 4566
# No shell or curl in the image: lbsim asks itself (GET /_lbsim/health on LBSIM_LISTEN).
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 CMD ["/usr/local/bin/lbsim", "health"]
ENTRYPOINT ["/usr/local/bin/lbsim"]
CMD ["serve", "--listen", "0.0.0.0:4566"]
