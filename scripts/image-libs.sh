#!/usr/bin/env bash
# The runtime libraries of the Dockerfile's images, found from the binaries themselves so
# that an image carries what its binaries load and nothing a list kept by hand forgot or
# kept too long.
#
#   image-libs.sh packages BIN...        print the Debian packages holding the shared
#                                        libraries BIN... link (their ELF NEEDED entries),
#                                        one a line; run where the binaries were built
#   image-libs.sh install LIST [PKG...]  apt-get install the packages of the file LIST and
#                                        PKG..., then drop apt's lists (a runtime stage)
#
# Only direct NEEDED entries are looked up: apt brings what those libraries depend on.
set -euo pipefail

die() { printf 'image-libs.sh: %s\n' "$*" >&2; exit 1; }

# The package owning one library, by the path the dynamic linker resolves it to. Debian
# bookworm's merged /usr means dpkg may know the file under /lib or /usr/lib: both tried.
owner() {
  local path=$1 p
  for p in "$path" "${path#/usr}" "/usr$path" "$(readlink -f "$path")"; do
    dpkg-query -S "$p" 2>/dev/null | head -1 | cut -d: -f1 && return
  done
  die "no Debian package holds $path"
}

packages() {
  (($#)) || die "packages: no binaries given"
  local bin lib path
  for bin in "$@"; do
    [[ -x $bin ]] || die "$bin: not an executable"
    while read -r lib; do
      # ldd resolves each NEEDED name the way the dynamic linker will.
      path=$(ldd "$bin" | awk -v lib="$lib" '$1 == lib && $2 == "=>" {print $3}')
      [[ -n $path && $path != "not" ]] || die "$bin needs $lib, which ldd cannot find"
      owner "$path"
    done < <(objdump -p "$bin" | awk '$1 == "NEEDED" {print $2}')
  done | sort -u
}

install_packages() {
  local list=${1:?install: the package list file}
  shift
  [[ -r $list ]] || die "install: cannot read $list"
  local pkgs
  mapfile -t pkgs < <(grep -v '^$' "$list")
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${pkgs[@]}" "$@" >/dev/null
  apt-get clean
  rm -rf /var/lib/apt/lists/*
}

case ${1:-} in
  packages) shift; packages "$@" ;;
  install) shift; install_packages "$@" ;;
  *) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
