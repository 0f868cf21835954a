# lbsim container image: a static-ish release binary on a distroless runtime, non-root, listening
# on 0.0.0.0:4566 inside the container.
#
#   docker build -t lbsim .
#   docker run --rm -p 4566:4566 lbsim
#   docker run --rm -p 4566:4566 -v "$PWD/lbsim.yaml:/etc/lbsim.yaml:ro" -e LBSIM_CONFIG=/etc/lbsim.yaml lbsim
#
# Base images are pinned by tag; pin them by digest too where builds must be reproducible.

FROM rust:1.95.0-slim-bookworm AS build
WORKDIR /src
# Dependencies first, against placeholder sources, so that editing src/ reuses this layer.
COPY Cargo.toml Cargo.lock ./
RUN mkdir src \
    && printf 'fn main() {}\n' > src/main.rs \
    && touch src/lib.rs \
    && cargo build --release --locked --bin lbsim \
    && rm -rf src
COPY . .
# COPY keeps the sources' old mtimes; touching them makes cargo rebuild lbsim itself.
RUN touch src/main.rs src/lib.rs \
    && cargo build --release --locked --bin lbsim \
    && cp target/release/lbsim /usr/local/bin/lbsim

# glibc and libgcc only, no shell; uid 65532 is the image's "nonroot" user.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /usr/local/bin/lbsim /usr/local/bin/lbsim
USER 65532:65532
ENV LBSIM_LISTEN=0.0.0.0:4566 \
    LBSIM_LOG=info
EXPOSE 4566
ENTRYPOINT ["/usr/local/bin/lbsim"]
CMD ["serve", "--listen", "0.0.0.0:4566"]
