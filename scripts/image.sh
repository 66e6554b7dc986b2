#!/usr/bin/env bash
# Builds the images of the Dockerfile without a Docker engine, then checks each one.
# buildah (Debian's package) runs every stage with chroot isolation on the vfs storage
# driver, which need no daemon, no overlay mounts and no user namespaces; the base is
# Debian made here with debootstrap from Debian's archive (Docker Hub is out of reach) and
# imported into buildah's storage. Each image then runs its binaries' --version with
# `buildah run` and is checked for its user, its labels and what it must (not) carry.
#
#   scripts/image.sh            build every target and check it (ctest image.build)
#   scripts/image.sh --keep     the same, keeping the images (localhost/vast-k8s/NAME:REV)
#   scripts/image.sh --base     only make (or find) the base image
#
# Everything lives under ${XDG_CACHE_HOME:-$HOME/.cache}/vast-k8s/images/: the debootstrap
# tarball of each Debian release (made once, so a second run takes seconds to get its
# base) and buildah's own storage, whose layer cache keeps the stages whose inputs did not
# change. Needs root (debootstrap, and buildah's chroot isolation mounts /proc and /sys);
# installs buildah and debootstrap with apt-get when they are missing. docs/images.md.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/.." && pwd)

RELEASE=${VK_DEBIAN_RELEASE:-bookworm}
MIRROR=${VK_DEBIAN_MIRROR:-http://deb.debian.org/debian}
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/vast-k8s/images"
BASE_TAR="$CACHE/debian-$RELEASE.tar"
BASE_IMAGE="localhost/vast-k8s/debian:$RELEASE"
# The images, one per Dockerfile target, with the binaries each must run.
TARGETS=(vast-csi vast-csi-node vast-operator vms-sim)
declare -A BINARIES=(
  [vast-csi]="vast-csi csictl"
  [vast-csi-node]="vast-csi vast-csi-mount-helper csictl"
  [vast-operator]="vast-operator"
  [vms-sim]="vms-sim"
)

keep=0 base_only=0
for arg in "$@"; do
  case $arg in
    --keep) keep=1 ;;
    --base) base_only=1 ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "image.sh: unknown argument $arg (see --help)" >&2; exit 2 ;;
  esac
done

say() { printf 'image.sh: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

# buildah with its storage under the cache: vfs (plain directory copies, no overlay
# mount; slower and bigger, but it works wherever root can write files) and chroot
# isolation for RUN (no runc, no new namespaces beyond a mount namespace).
export BUILDAH_ISOLATION=chroot STORAGE_DRIVER=vfs
bah() {
  buildah --root "$CACHE/storage" --runroot "$CACHE/run" --storage-driver vfs "$@"
}

need_tools() {
  [[ $(id -u) -eq 0 ]] || die "needs root: debootstrap and buildah's chroot isolation mount /proc, /sys and /dev"
  local missing=() p
  for p in buildah debootstrap; do command -v "$p" >/dev/null || missing+=("$p"); done
  ((${#missing[@]} == 0)) && return
  say "installing ${missing[*]} (Debian packages)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The base: a minbase debootstrap of RELEASE with what debian:*-slim leaves out left out
# (docs, man pages, locales) and apt told not to pull recommended packages. Made once per
# release into a tarball; written beside and renamed, so a cut-off run leaves no half base.
make_base_tar() {
  [[ -s $BASE_TAR ]] && return
  mkdir -p "$CACHE"
  local root="$CACHE/rootfs-$RELEASE.$$"
  rm -rf "$root"
  say "debootstrap $RELEASE from $MIRROR (once; cached in $BASE_TAR)"
  debootstrap --variant=minbase "$RELEASE" "$root" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 \
    || { tail -20 "$CACHE/debootstrap.log" >&2; rm -rf "$root"; die "debootstrap $RELEASE failed (log: $CACHE/debootstrap.log)"; }
  cat >"$root/etc/apt/sources.list" <<EOF
deb $MIRROR $RELEASE main
deb $MIRROR $RELEASE-updates main
deb http://deb.debian.org/debian-security $RELEASE-security main
EOF
  cat >"$root/etc/dpkg/dpkg.cfg.d/slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
EOF
  printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' \
    >"$root/etc/apt/apt.conf.d/90no-recommends"
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* \
         "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/locale/*
  tar --numeric-owner --xattrs -C "$root" -cf "$BASE_TAR.tmp" .
  rm -rf "$root"
  mv "$BASE_TAR.tmp" "$BASE_TAR"
}

# The tarball imported as an image named after the release; imported again when the
# tarball changed (its checksum is a label of the image).
import_base() {
  local sum have
  sum=$(sha256sum "$BASE_TAR" | cut -c1-64)
  have=$(bah inspect --type image --format '{{index .ImageAnnotations "vast-k8s.base.sha256"}}' "$BASE_IMAGE" 2>/dev/null || true)
  [[ $have == "$sum" ]] && return
  say "importing $BASE_TAR as $BASE_IMAGE"
  local ctr mnt
  ctr=$(bah from --pull=never scratch)
  mnt=$(bah mount "$ctr")
  tar --numeric-owner --xattrs -C "$mnt" -xf "$BASE_TAR"
  bah umount "$ctr" >/dev/null
  bah config --annotation "vast-k8s.base.sha256=$sum" --cmd /bin/bash \
    --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$ctr"
  bah commit --rm --quiet "$ctr" "$BASE_IMAGE" >/dev/null
}

need_tools
make_base_tar
import_base
((base_only)) && exit 0

# What the images are labelled with and their binaries report.
VERSION=$(sed -n 's/^project(vast_k8s VERSION \([0-9.]*\).*/\1/p' "$SRC/CMakeLists.txt")
[[ -n $VERSION ]] || die "no project version in $SRC/CMakeLists.txt"
REVISION=$(git -C "$SRC" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
# Built from the working tree: a tree that differs from its commit says so.
if [[ $REVISION != unknown ]] && ! git -C "$SRC" diff --quiet HEAD -- 2>/dev/null; then
  REVISION+=-dirty
fi
# The remote's address, without any user or token in it.
SOURCE=$(git -C "$SRC" remote get-url origin 2>/dev/null | sed -E 's#//[^/@]*@#//#' || true)
SOURCE=${SOURCE:-unknown}

image_name() { echo "localhost/vast-k8s/$1:$REVISION"; }

build_target() {
  local target=$1
  say "building $target"
  # --layers keeps every step's result, so the build stage compiles once for all the
  # targets, and again only when the tree changed; --pull=never: the base is local.
  bah bud --layers --pull=never --isolation chroot --target "$target" \
    --build-arg BASE="$BASE_IMAGE" --build-arg VK_VERSION="$VERSION" \
    --build-arg VK_REVISION="$REVISION" --build-arg VK_SOURCE="$SOURCE" \
    -f "$SRC/Dockerfile" -t "$(image_name "$target")" "$SRC" >"$CACHE/build-$target.log" 2>&1 \
    || { tail -30 "$CACHE/build-$target.log" >&2; die "$target did not build (log: $CACHE/build-$target.log)"; }
}

failures=0
fail() { say "FAIL $*"; failures=$((failures + 1)); }

# One image checked from the outside (labels, user) and from the inside (buildah run).
check_image() {
  local target=$1 image ctr key value want_user user bin out
  image=$(image_name "$target")
  for key in title version revision source licenses description; do
    value=$(bah inspect --type image --format "{{index .OCIv1.Config.Labels \"org.opencontainers.image.$key\"}}" "$image")
    [[ -n $value ]] || fail "$target: no label org.opencontainers.image.$key"
  done
  value=$(bah inspect --type image --format '{{index .OCIv1.Config.Labels "org.opencontainers.image.title"}}' "$image")
  [[ $value == "$target" ]] || fail "$target: title label is \"$value\""
  value=$(bah inspect --type image --format '{{index .OCIv1.Config.Labels "org.opencontainers.image.revision"}}' "$image")
  [[ $value == "$REVISION" ]] || fail "$target: revision label is \"$value\", not $REVISION"

  want_user=65532:65532
  [[ $target == vast-csi-node ]] && want_user=0:0
  user=$(bah inspect --type image --format '{{.OCIv1.Config.User}}' "$image")
  [[ $user == "$want_user" ]] || fail "$target: USER is \"$user\", not $want_user"

  ctr=$(bah from --pull=never "$image")
  # buildah run takes the image's USER, so this is the user the binaries run as.
  out=$(bah run "$ctr" -- id -u) || fail "$target: id -u did not run"
  [[ $out == "${want_user%%:*}" ]] || fail "$target: runs as uid $out, not ${want_user%%:*}"
  for bin in ${BINARIES[$target]}; do
    if [[ $bin == vast-csi-mount-helper ]]; then
      # The helper has no --version; it must load and answer its usage.
      out=$(bah run "$ctr" -- /usr/local/bin/$bin 2>&1) && rc=0 || rc=$?
      [[ $out == *"usage: vast-csi --mount-helper"* ]] || fail "$target: $bin did not start: $out"
      continue
    fi
    if out=$(bah run "$ctr" -- /usr/local/bin/$bin --version 2>&1); then
      say "$target: $out"
      [[ $out == *"$VERSION"* && $out == *"${REVISION%-dirty}"* ]] \
        || fail "$target: $bin --version says \"$out\", not $VERSION and ${REVISION%-dirty}"
    else
      fail "$target: $bin --version failed: $out"
    fi
  done
  # Runtime libraries only: no compiler, no headers, no -dev package.
  out=$(bah run "$ctr" -- sh -c 'command -v cc gcc cmake; ls -d /usr/include/grpc /usr/include/curl 2>/dev/null; dpkg-query -W -f="\${Package}\n" | grep -- "-dev\$"' 2>/dev/null || true)
  [[ -z $out ]] || fail "$target: build tools in a runtime image: $(echo $out)"
  if [[ $target == vast-csi-node ]]; then
    bah run "$ctr" -- test -x /sbin/mount.nfs || fail "$target: no /sbin/mount.nfs (nfs-common)"
  else
    ! bah run "$ctr" -- test -e /sbin/mount.nfs 2>/dev/null || fail "$target: carries nfs-common, which only the node needs"
  fi
  bah rm "$ctr" >/dev/null
}

started=$SECONDS
for target in "${TARGETS[@]}"; do build_target "$target"; done
say "built ${TARGETS[*]} in $((SECONDS - started)) s"
for target in "${TARGETS[@]}"; do check_image "$target"; done
if ((!keep)); then
  for target in "${TARGETS[@]}"; do bah rmi "$(image_name "$target")" >/dev/null; done
fi
((failures == 0)) || die "$failures check(s) failed"
say "ok: ${TARGETS[*]} at $VERSION ($REVISION)"
