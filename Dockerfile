# Builds the `qiao` binary and a small runtime image with the demo seeds.
FROM rust:1.94-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p qiao-cli --bin qiao

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/qiao /usr/local/bin/qiao
COPY seeds /opt/qiao/seeds
ENV QIAO_DATA_DIR=/data QIAO_SEEDS_DIR=/opt/qiao/seeds QIAO_BIND=0.0.0.0:8080
VOLUME /data
EXPOSE 8080
ENTRYPOINT ["qiao"]
CMD ["serve"]
