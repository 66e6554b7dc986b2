# vast-csi (with its mount helper) and csictl on Debian bookworm. Build: docker build -t vast-k8s .
FROM debian:bookworm-slim AS build
WORKDIR /src
COPY scripts/bootstrap.sh scripts/bootstrap.sh
RUN bash scripts/bootstrap.sh
COPY . .
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=Release && cmake --build /build -j"$(nproc)"

FROM debian:bookworm-slim
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends libgrpc29 libprotobuf-c1 libjansson4 \
      libcurl4 libmount1 nfs-common ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /build/csi/vast-csi /build/csi/vast-csi-mount-helper /build/csictl/csictl /usr/local/bin/
ENTRYPOINT ["/usr/local/bin/vast-csi"]
