# The images of vast-k8s on Debian bookworm, one target per component (docs/images.md):
#   vast-csi       controller and COSI provisioner (vast-csi, csictl), non-root
#   vast-csi-node  the node plugin (vast-csi, its mount helper, csictl, nfs-common), root
#   vast-operator  the operator, non-root
#   vms-sim        the VMS simulator, for trying things out, non-root
# Build one: docker build --target vast-operator -t vast-operator .  (the default, the
# last stage, is vast-csi-node). Without a Docker engine: scripts/image.sh (buildah).
# BASE is any Debian bookworm image; scripts/image.sh passes one made with debootstrap.
ARG BASE=debian:bookworm-slim

# ---------- build: the -dev packages and a Release build of the binaries only ----------
FROM ${BASE} AS build
WORKDIR /src
COPY scripts/bootstrap.sh scripts/bootstrap.sh
RUN bash scripts/bootstrap.sh --build && rm -rf /var/lib/apt/lists/*
COPY . .
# The commit the binaries' --version names: there is no .git in the build context.
ARG VK_REVISION=unknown
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=Release -DVK_GIT_COMMIT="${VK_REVISION}" \
 && cmake --build /build -j"$(nproc)" \
      --target vast-csi vast-csi-mount-helper csictl vast-operator vms-sim \
 && mkdir -p /out/bin /out/packages \
 && cp scripts/image-libs.sh /out/ \
 && install -s -m 0755 /build/csi/vast-csi /build/csi/vast-csi-mount-helper \
      /build/csictl/csictl /build/operator/vast-operator /build/sim/vms-sim /out/bin/ \
 && cd /out/bin \
 && bash /out/image-libs.sh packages vast-csi csictl >/out/packages/vast-csi \
 && bash /out/image-libs.sh packages vast-csi vast-csi-mount-helper csictl >/out/packages/vast-csi-node \
 && bash /out/image-libs.sh packages vast-operator >/out/packages/vast-operator \
 && bash /out/image-libs.sh packages vms-sim >/out/packages/vms-sim

# ---------- runtime: what every image shares ----------
FROM ${BASE} AS runtime
ARG VK_VERSION=0.1.0
ARG VK_REVISION=unknown
ARG VK_SOURCE=unknown
ARG VK_LICENSES=NOASSERTION
LABEL org.opencontainers.image.version="${VK_VERSION}" \
      org.opencontainers.image.revision="${VK_REVISION}" \
      org.opencontainers.image.source="${VK_SOURCE}" \
      org.opencontainers.image.licenses="${VK_LICENSES}" \
      org.opencontainers.image.vendor="vast-k8s"
# The user of the non-root images, by number: Kubernetes' runAsNonRoot can check only a
# numeric USER. 65532 is the "nonroot" of distroless images, which the upstream sidecars use.
RUN groupadd --system --gid 65532 nonroot \
 && useradd --system --uid 65532 --gid 65532 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin nonroot

# ---------- the images ----------
FROM runtime AS vms-sim
RUN --mount=type=bind,from=build,source=/out,target=/out \
    bash /out/image-libs.sh install /out/packages/vms-sim
COPY --from=build /out/bin/vms-sim /usr/local/bin/
LABEL org.opencontainers.image.title="vms-sim" \
      org.opencontainers.image.description="VAST VMS simulator: the VMS REST API and S3 over a directory, for trying vast-k8s without a VAST cluster"
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/vms-sim"]

FROM runtime AS vast-operator
RUN --mount=type=bind,from=build,source=/out,target=/out \
    bash /out/image-libs.sh install /out/packages/vast-operator ca-certificates
COPY --from=build /out/bin/vast-operator /usr/local/bin/
LABEL org.opencontainers.image.title="vast-operator" \
      org.opencontainers.image.description="vast-k8s operator: turns Tenant and VastCluster resources into VAST tenants, views, quotas and their Kubernetes StorageClasses and Secrets"
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/vast-operator"]

# Controller and COSI provisioner: they talk to VMS and serve a socket, never mount.
FROM runtime AS vast-csi
RUN --mount=type=bind,from=build,source=/out,target=/out \
    bash /out/image-libs.sh install /out/packages/vast-csi ca-certificates
COPY --from=build /out/bin/vast-csi /out/bin/csictl /usr/local/bin/
LABEL org.opencontainers.image.title="vast-csi" \
      org.opencontainers.image.description="VAST CSI driver, controller and COSI provisioner (vast-csi --mode controller|cosi)"
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/vast-csi"]

# The node plugin mounts NFS (mount.nfs from nfs-common), so it runs as root.
FROM runtime AS vast-csi-node
RUN --mount=type=bind,from=build,source=/out,target=/out \
    bash /out/image-libs.sh install /out/packages/vast-csi-node ca-certificates nfs-common
COPY --from=build /out/bin/vast-csi /out/bin/vast-csi-mount-helper /out/bin/csictl /usr/local/bin/
LABEL org.opencontainers.image.title="vast-csi-node" \
      org.opencontainers.image.description="VAST CSI driver, node plugin (vast-csi --mode node): mounts VAST views over NFS"
USER 0:0
ENTRYPOINT ["/usr/local/bin/vast-csi"]
