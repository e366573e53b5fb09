#!/usr/bin/env bash
# Build a local Debian bookworm base image for wrapper images, without any registry.
#
#   scripts/build_base_image.sh [--force] [--tag IMAGE] [--also-tag IMAGE]... [--mirror URL]
#
# debootstraps a minbase rootfs with python3, python3-venv and ca-certificates from the
# Debian mirror apt already uses, copies in the host's CA bundle (so pip inside `docker
# build` trusts whatever the host trusts), and `docker import`s it. Graphs then use it with
# `runtime: {base_image: seldon-graphs/base:bookworm}` or `seldon-graphs build --base-image`.
# Idempotent: does nothing when the image exists, unless --force. Needs root (debootstrap)
# and a Docker engine. Takes about a minute.
set -euo pipefail

TAG="seldon-graphs/base:bookworm"
ALSO_TAGS=()
FORCE=0
SUITE="bookworm"
MIRROR=""
CA_BUNDLE="/etc/ssl/certs/ca-certificates.crt"
CACHE_DIR="${SELDON_GRAPHS_DEBOOTSTRAP_CACHE:-/var/cache/seldon-graphs/debootstrap}"

usage() { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; }
die() { echo "build_base_image: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
  case "$1" in
    --force) FORCE=1 ;;
    --tag) TAG="${2:?--tag needs an image name}"; shift ;;
    --also-tag) ALSO_TAGS+=("${2:?--also-tag needs an image name}"); shift ;;
    --mirror) MIRROR="${2:?--mirror needs a URL}"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
  shift
done

command -v docker >/dev/null || die "docker CLI not found"
docker info >/dev/null 2>&1 || die "no Docker engine answers (start dockerd first)"

if [ "$FORCE" = 0 ] && docker image inspect "$TAG" >/dev/null 2>&1; then
  echo "build_base_image: $TAG exists (use --force to rebuild)"
  for extra in "${ALSO_TAGS[@]}"; do docker tag "$TAG" "$extra"; done
  exit 0
fi

[ "$(id -u)" = 0 ] || die "debootstrap needs root"
command -v debootstrap >/dev/null || die "debootstrap not found (apt-get install debootstrap)"
[ -r "$CA_BUNDLE" ] || die "host CA bundle $CA_BUNDLE not found"

# The mirror apt is configured with: deb822 .sources files first, then one-line lists.
if [ -z "$MIRROR" ]; then
  MIRROR="$(
    { cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '/^URIs:/ {print $2}'
      cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk '/^deb / {for (i = 2; i <= NF; i++) if ($i ~ /^(https?|ftp|file):/) {print $i; break}}'
    } | grep -v -- '-security' | head -n1 || true
  )"
  MIRROR="${MIRROR:-http://deb.debian.org/debian}"
fi

WORK="$(mktemp -d /tmp/seldon-graphs-base.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
ROOTFS="$WORK/rootfs"
mkdir -p "$CACHE_DIR"

echo "build_base_image: debootstrap $SUITE minbase from $MIRROR"
start=$(date +%s)
debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
  --cache-dir="$CACHE_DIR" "$SUITE" "$ROOTFS" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 || {
  tail -n 30 "$WORK/debootstrap.log" >&2
  die "debootstrap failed (log above)"
}

install -m 0644 "$CA_BUNDLE" "$ROOTFS/etc/ssl/certs/ca-certificates.crt"
# Slim it down: no package caches, lists, docs or man pages in the image.
rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/* \
  "$ROOTFS"/usr/share/doc/* "$ROOTFS"/usr/share/man/* "$ROOTFS"/usr/share/info/* \
  "$ROOTFS"/var/log/*.log "$ROOTFS"/var/cache/debconf/*-old "$ROOTFS"/tmp/*
# Message translations (33 MB); glibc's locale.alias stays.
find "$ROOTFS/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
chmod 1777 "$ROOTFS/tmp"

PY_VERSION="$(chroot "$ROOTFS" python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
echo "build_base_image: importing as $TAG (python $PY_VERSION)"
tar --numeric-owner -C "$ROOTFS" -c . | docker import \
  --change 'ENV LANG=C.UTF-8' \
  --change "ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt" \
  --change "ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt" \
  --change "ENV REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt" \
  --change "LABEL org.opencontainers.image.title=seldon-graphs-base" \
  --change "LABEL org.opencontainers.image.description=Debian-$SUITE-minbase-python$PY_VERSION" \
  --change 'CMD ["python3"]' \
  - "$TAG" >/dev/null

for extra in "${ALSO_TAGS[@]}"; do docker tag "$TAG" "$extra"; done
size=$(docker image inspect --format '{{.Size}}' "$TAG")
echo "build_base_image: $TAG ready: $((size / 1000000)) MB, $(( $(date +%s) - start )) s"
