# rewind in a container, for CI jobs and for anyone without a Rust
# toolchain: `docker build -t rewind .`, then, from the app's repository
# (where rewind.toml lives):
#   docker run --rm -it -v "$PWD":/work -w /work -e SCALINGO_API_TOKEN rewind status
# The build context has no .git (.dockerignore): pass the commit for
# `rewind --version` with --build-arg REWIND_BUILD_COMMIT=$(git rev-parse --short HEAD).

FROM rust:1-slim-bookworm AS build
ARG REWIND_BUILD_COMMIT=
ENV REWIND_BUILD_COMMIT=${REWIND_BUILD_COMMIT}
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p rewind \
 && cp target/release/rewind /usr/local/bin/rewind

FROM debian:bookworm-slim
# git: tags, branches and pushes; ca-certificates: HTTPS to Scalingo;
# postgresql-client: pg_dump, pg_restore and psql for database restores.
RUN apt-get update \
 && apt-get install -y --no-install-recommends git ca-certificates postgresql-client openssh-client \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 1000 rewind
COPY --from=build /usr/local/bin/rewind /usr/local/bin/rewind
USER rewind
# A mounted repository belongs to another user: git must still read it.
RUN git config --global --add safe.directory '*'
ENTRYPOINT ["rewind"]
CMD ["--help"]
