#!/usr/bin/env bash
# Build the real Kubernetes control plane from Go modules (make controlplane). Idempotent and
# cached: a binary whose --version already says the pinned version is not rebuilt.
#
#   kube-apiserver, kube-controller-manager, kube-scheduler  k8s.io/kubernetes $K8S_VERSION
#       (tests/controlplane/k8s: k/k as a dependency, its staging modules replaced by version)
#   kwok                                                     sigs.k8s.io/kwok $KWOK_VERSION
#   etcd                                                     Debian's etcd-server (apt)
#
# Environment:
#   CONTROLPLANE_HOME  where bin/ goes (default: ~/.cache/seldon-graphs/controlplane, so a fresh
#                      clone on the same machine, e.g. CI's, reuses it)
#   GO                 the go command (default: go)
set -Eeuo pipefail

here=$(cd "${BASH_SOURCE[0]%/*}" && pwd)
repo=${here%/scripts}
K8S_VERSION=v1.30.14 # the newest 1.30 the module proxy serves with all its staging modules
KWOK_VERSION=v0.6.1  # client-go 0.30, no replace directives: plain `go install`
CONTROLPLANE_HOME=${CONTROLPLANE_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/seldon-graphs/controlplane}
GO=${GO:-go}
bin=$CONTROLPLANE_HOME/bin

say() { printf '==> %s\n' "$*"; }
die() { printf 'controlplane-build: error: %s\n' "$*" >&2; exit 1; }

command -v "$GO" >/dev/null || die "no Go toolchain ('$GO'); Go >= 1.22 is needed"
mkdir -p "$bin"

# True when $1 exists and its --version output contains $2.
has_version() {
  [[ -x $1 ]] && "$1" --version 2>/dev/null | grep -qF -- "$2"
}

# The ldflags k/k's hack/lib/version.sh stamps, so /version and --version tell the truth.
k8s_ldflags() {
  local minor=${K8S_VERSION#v1.}
  minor=${minor%%.*}
  local date
  date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  local pkg flags=""
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    flags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    flags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$date"
  done
  printf '%s' "-s -w$flags"
}

build_k8s() {
  local cmd missing=()
  for cmd in kube-apiserver kube-controller-manager kube-scheduler; do
    has_version "$bin/$cmd" "Kubernetes $K8S_VERSION" || missing+=("$cmd")
  done
  if ((${#missing[@]} == 0)); then
    say "Kubernetes $K8S_VERSION: up to date"
    return
  fi
  say "building ${missing[*]} ($K8S_VERSION)"
  local pkgs=()
  for cmd in "${missing[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$cmd"); done
  # nice: the machine's cores are shared with test runs; -trimpath keeps builds reproducible.
  (cd "$repo/tests/controlplane/k8s" &&
    CGO_ENABLED=0 nice -n 19 "$GO" build -trimpath -ldflags "$(k8s_ldflags)" -o "$bin/" "${pkgs[@]}")
}

build_kwok() {
  if has_version "$bin/kwok" "$KWOK_VERSION"; then
    say "kwok $KWOK_VERSION: up to date"
    return
  fi
  say "building kwok $KWOK_VERSION"
  CGO_ENABLED=0 GOBIN="$bin" nice -n 19 "$GO" install -trimpath \
    -ldflags "-s -w" \
    "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
}

install_etcd() {
  if command -v etcd >/dev/null; then
    say "etcd: $(etcd --version | head -1)"
    return
  fi
  say "installing Debian's etcd-server"
  ((EUID == 0)) || die "etcd is missing: run 'apt-get install etcd-server' as root"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-server >/dev/null ||
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-server >/dev/null; }
  # The package starts a system etcd on 2379; ours runs on its own ports and data dir.
  systemctl disable --now etcd >/dev/null 2>&1 || true
}

install_etcd
build_kwok
build_k8s
say "control plane binaries in $bin"
