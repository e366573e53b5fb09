#!/usr/bin/env bash
# Create (or reuse) a local kind cluster with the Seldon Core v1 operator. Safe to run twice:
# an existing cluster is reused and every Helm release is `upgrade --install`ed.
#
#   scripts/kind-up.sh [--name NAME] [--ingress none|istio] [--monitoring] [--minio]
#
# Environment (the Makefile passes these through; flags win):
#   CLUSTER_NAME    kind cluster name                   (default: seldon -> context kind-seldon)
#   SELDON_VERSION  seldon-core-operator chart version  (default: 1.17.1, the last Apache-2.0)
#   INGRESS         none | istio                        (default: none: use kubectl port-forward)
#   MONITORING      1 = Prometheus + Grafana with our Seldon dashboard in namespace
#                   seldon-monitoring (deploy/monitoring/monitoring.yaml, docs/monitoring.md)
#   ISTIO_VERSION   Istio charts for INGRESS=istio      (default: 1.19.3)
#   MINIO           1 = MinIO (S3) in namespace minio-system, buckets models and mlflow
#   MINIO_VERSION   the official MinIO chart (charts.min.io)  (default: 5.4.0)
#   KIND_CONFIG     kind cluster config                 (default: scripts/kind/cluster.yaml)
set -Eeuo pipefail # -E: the ERR trap below fires inside functions too

here=${BASH_SOURCE[0]%/*}
[[ $here == "${BASH_SOURCE[0]}" ]] && here=.
kind_dir="$here/kind"

CLUSTER_NAME=${CLUSTER_NAME:-seldon}
SELDON_VERSION=${SELDON_VERSION:-1.17.1}
INGRESS=${INGRESS:-none}
MONITORING=${MONITORING:-0}
MINIO=${MINIO:-0}
MINIO_VERSION=${MINIO_VERSION:-5.4.0}
ISTIO_VERSION=${ISTIO_VERSION:-1.19.3}
KIND_CONFIG=${KIND_CONFIG:-$kind_dir/cluster.yaml}
MONITORING_MANIFEST=$here/../deploy/monitoring/monitoring.yaml
KIND_RELEASE=v0.20.0 # the kind release the pinned node image was built for
SELDON_CHARTS=https://storage.googleapis.com/seldon-charts
ISTIO_CHARTS=https://istio-release.storage.googleapis.com/charts
MINIO_CHARTS=https://charts.min.io/
MINIO_NS=minio-system
MONITORING_NS=seldon-monitoring # the namespace deploy/monitoring/monitoring.yaml uses
TIMEOUT=${TIMEOUT:-10m}

step="checking the tools"
say() { step=$*; printf '==> %s\n' "$*"; }
die() { printf 'kind-up: error: %s\n' "$*" >&2; exit 1; }

# A failing step (its tool has printed why) ends the run naming the step; rerunning is safe.
failed() {
  printf 'kind-up: error: %s failed (exit %d); fix the cause above and run kind-up again (safe to rerun)\n' \
    "$step" "$1" >&2
  exit "$1"
}
trap 'failed $?' ERR

usage() {
  printf 'usage: %s [--name NAME] [--ingress none|istio] [--monitoring] [--minio]\n' "$0"
}

while (($#)); do
  case $1 in
    --name) CLUSTER_NAME=${2:?--name needs a value}; shift 2 ;;
    --ingress) INGRESS=${2:?--ingress needs a value}; shift 2 ;;
    --ingress=*) INGRESS=${1#*=}; shift ;;
    --monitoring) MONITORING=1; shift ;;
    --minio) MINIO=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
case $INGRESS in none | istio) ;; *) die "INGRESS must be none or istio, not '$INGRESS'" ;; esac

# --- tools, checked up front, all at once ------------------------------------------------------
install_hint() {
  case $1 in
    kind) echo "https://kind.sigs.k8s.io/docs/user/quick-start/#installation (e.g. go install sigs.k8s.io/kind@$KIND_RELEASE)" ;;
    kubectl) echo "https://kubernetes.io/docs/tasks/tools/ (e.g. apt-get install kubectl from the Kubernetes apt repository)" ;;
    helm) echo "https://helm.sh/docs/intro/install/ (v3; e.g. the get-helm-3 script or your package manager)" ;;
    docker) echo "apt-get install docker.io, then start the daemon (dockerd or systemctl start docker)" ;;
  esac
}

check_tools() {
  local missing=() tool
  for tool in kind kubectl helm docker; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
  done
  if ((${#missing[@]})); then
    {
      printf 'kind-up: error: missing tool(s): %s\n' "${missing[*]}"
      for tool in "${missing[@]}"; do
        printf '  %s: install from %s\n' "$tool" "$(install_hint "$tool")"
      done
    } >&2
    exit 1
  fi
  docker info >/dev/null 2>&1 ||
    die "docker is installed but its daemon is not answering (start dockerd, or check your permissions on the docker socket)"
  local kind_version
  kind_version=$(kind version 2>/dev/null || true)
  [[ $kind_version == *"$KIND_RELEASE"* ]] ||
    say "note: the pinned node image was built for kind $KIND_RELEASE; you have: ${kind_version:-unknown}"
}

licence_note() {
  local major minor
  IFS=. read -r major minor _ <<<"$SELDON_VERSION"
  if ((major > 1 || (major == 1 && minor >= 18))); then
    say "note: Seldon Core $SELDON_VERSION is under the Business Source License 1.1 (1.17.1 is the last Apache-2.0 release)"
  fi
}

# --- steps ---------------------------------------------------------------------------------------
cluster_exists() {
  local name
  while read -r name; do
    [[ $name == "$CLUSTER_NAME" ]] && return 0
  done < <(kind get clusters 2>/dev/null)
  return 1
}

ensure_cluster() {
  if cluster_exists; then
    say "kind cluster '$CLUSTER_NAME' exists: reusing it"
  else
    say "creating kind cluster '$CLUSTER_NAME' from $KIND_CONFIG"
    kind create cluster --name "$CLUSTER_NAME" --config "$KIND_CONFIG" --wait 120s
  fi
  kubectl --context "$CONTEXT" cluster-info >/dev/null ||
    die "the cluster '$CLUSTER_NAME' exists but does not answer; try: scripts/kind-down.sh && scripts/kind-up.sh"
}

helm_install() { # release chart repo version namespace [helm args...]
  local release=$1 chart=$2 repo=$3 version=$4 namespace=$5
  shift 5
  say "helm: $release ($chart $version) in $namespace"
  helm upgrade --install "$release" "$chart" --repo "$repo" --version "$version" \
    --namespace "$namespace" --create-namespace --kube-context "$CONTEXT" \
    --wait --timeout "$TIMEOUT" "$@"
}

install_istio() {
  helm_install istio-base base "$ISTIO_CHARTS" "$ISTIO_VERSION" istio-system
  helm_install istiod istiod "$ISTIO_CHARTS" "$ISTIO_VERSION" istio-system
  helm_install istio-ingressgateway gateway "$ISTIO_CHARTS" "$ISTIO_VERSION" istio-system \
    -f "$kind_dir/istio-gateway.values.yaml"
  say "applying the Seldon gateway"
  kubectl --context "$CONTEXT" apply -f "$kind_dir/seldon-gateway.yaml"
}

install_seldon() {
  local files=("$kind_dir/seldon-core-operator.values.yaml") values=() file
  [[ $INGRESS == istio ]] && files+=("$kind_dir/seldon-core-operator.istio.values.yaml")
  for file in "${files[@]}"; do values+=(-f "$file"); done
  # The chart renders a new webhook CA and serving certificate on every `helm upgrade`, so a
  # rerun would not be a no-op: upgrade only when the chart version or our values changed.
  local stamp=$SELDON_VERSION
  for file in "${files[@]}"; do stamp+=" $(fnv1a "$(<"$file")")"; done
  if [[ $(operator_stamp) == "$stamp" ]] && helm status seldon-core --namespace seldon-system \
    --kube-context "$CONTEXT" >/dev/null 2>&1; then
    say "helm: seldon-core $SELDON_VERSION already installed with these values: not upgraded"
  else
    helm_install seldon-core seldon-core-operator "$SELDON_CHARTS" "$SELDON_VERSION" seldon-system \
      "${values[@]}"
    kubectl --context "$CONTEXT" annotate namespace seldon-system --overwrite \
      "$STAMP_KEY=$stamp" >/dev/null
  fi
  say "waiting for the SeldonDeployment CRD"
  kubectl --context "$CONTEXT" wait --for=condition=Established --timeout=120s \
    crd/seldondeployments.machinelearning.seldon.io
  say "waiting for the operator (seldon-controller-manager)"
  kubectl --context "$CONTEXT" -n seldon-system rollout status \
    deployment/seldon-controller-manager --timeout=300s
}

STAMP_KEY=seldon-graphs/operator-release # on namespace seldon-system: "<version> <values hashes>"

# fnv1a TEXT: a 32-bit FNV-1a hash in hex, in bash alone (the script needs no coreutils).
fnv1a() {
  local text=$1 hash=2166136261 i code
  for ((i = 0; i < ${#text}; i++)); do
    printf -v code '%d' "'${text:i:1}"
    hash=$(((hash ^ code) * 16777619 & 0xFFFFFFFF))
  done
  printf '%08x' "$hash"
}

operator_stamp() {
  kubectl --context "$CONTEXT" get namespace seldon-system \
    -o "jsonpath={.metadata.annotations.seldon-graphs/operator-release}" 2>/dev/null || true
}

# ensure_credentials WHAT NAMESPACE SECRET USER_KEY PASSWORD_KEY: a Secret holding a user
# `seldon-graphs` and a random password, passed to kubectl through a file descriptor, never as
# an argument; reused when it exists, so reruns keep it. It lives only in the cluster.
ensure_credentials() {
  local what=$1 ns=$2 secret=$3 user_key=$4 password_key=$5 k=(kubectl --context "$CONTEXT")
  if "${k[@]}" -n "$ns" get secret "$secret" >/dev/null 2>&1; then
    say "$what credentials: reusing secret $ns/$secret"
    return
  fi
  say "$what credentials: creating secret $ns/$secret (random password)"
  "${k[@]}" get namespace "$ns" >/dev/null 2>&1 || "${k[@]}" create namespace "$ns"
  local password
  password=$(printf '%08x%08x%08x%08x' "$SRANDOM" "$SRANDOM" "$SRANDOM" "$SRANDOM")
  "${k[@]}" -n "$ns" create secret generic "$secret" \
    --from-env-file=<(printf '%s=seldon-graphs\n%s=%s\n' "$user_key" "$password_key" "$password")
}

# Our own manifests (seldon-core-analytics 1.17.1 renders APIs Kubernetes 1.27 no longer serves).
install_monitoring() {
  ensure_credentials Grafana "$MONITORING_NS" grafana-admin admin-user admin-password
  say "applying Prometheus and Grafana (deploy/monitoring/monitoring.yaml)"
  kubectl --context "$CONTEXT" apply --server-side --field-manager=kind-up \
    -f "$MONITORING_MANIFEST"
  local app
  for app in prometheus grafana; do
    say "waiting for $app in $MONITORING_NS"
    kubectl --context "$CONTEXT" -n "$MONITORING_NS" rollout status "deployment/$app" \
      --timeout=300s
  done
}

install_minio() {
  ensure_credentials MinIO "$MINIO_NS" minio-root rootUser rootPassword
  helm_install minio minio "$MINIO_CHARTS" "$MINIO_VERSION" "$MINIO_NS" -f "$kind_dir/minio.values.yaml"
}

minio_steps() {
  local get="kubectl --context $CONTEXT -n $MINIO_NS get secret minio-root -o jsonpath"
  printf '    MinIO: s3://models and s3://mlflow at http://minio.%s.svc.cluster.local:9000\n' "$MINIO_NS"
  printf "      export AWS_ACCESS_KEY_ID=\$(%s='{.data.rootUser}' | base64 -d)\n" "$get"
  printf "      export AWS_SECRET_ACCESS_KEY=\$(%s='{.data.rootPassword}' | base64 -d) USE_SSL=false\n" "$get"
  printf '      AWS_ENDPOINT_URL=minio.%s.svc:9000 seldon-graphs secret create minio -n models --from-env AWS_ACCESS_KEY_ID,AWS_SECRET_ACCESS_KEY,AWS_ENDPOINT_URL,USE_SSL\n' "$MINIO_NS"
  printf '      kubectl --context %s -n %s port-forward svc/minio 9000:9000 &\n' "$CONTEXT" "$MINIO_NS"
  printf '      AWS_ENDPOINT_URL=127.0.0.1:9000 seldon-graphs models push graphs/income.yaml --from-env AWS_ACCESS_KEY_ID,AWS_SECRET_ACCESS_KEY,AWS_ENDPOINT_URL,USE_SSL\n'
}

next_steps() {
  say "ready: kubectl context $CONTEXT, Seldon Core $SELDON_VERSION in namespace seldon-system"
  printf '    make deploy GRAPH=graphs/<name>.yaml     # or: seldon-graphs deploy GRAPH --context %s\n' "$CONTEXT"
  if [[ $INGRESS == istio ]]; then
    printf '    ingress: http://localhost:8080/seldon/<namespace>/<name>/api/v1.0/predictions\n'
    printf '    (pass --ingress http://localhost:8080 to deploy/status for a ready curl)\n'
  fi
  [[ $MINIO == 1 ]] && minio_steps
  [[ $MONITORING == 1 ]] && monitoring_steps
  return 0
}

monitoring_steps() {
  local k="kubectl --context $CONTEXT -n $MONITORING_NS"
  printf '    Grafana:    %s port-forward svc/grafana 3000:3000 &\n' "$k"
  printf '                http://localhost:3000, user seldon-graphs, dashboard "Seldon Core (seldon-graphs)"\n'
  printf "                password: %s get secret grafana-admin -o jsonpath='{.data.admin-password}' | base64 -d\n" "$k"
  printf '    Prometheus: %s port-forward svc/prometheus 9090:9090 &\n' "$k"
  printf '                http://localhost:9090/targets (what is scraped), docs/monitoring.md\n'
}

main() {
  check_tools
  licence_note
  CONTEXT=kind-$CLUSTER_NAME
  ensure_cluster
  [[ $INGRESS == istio ]] && install_istio
  install_seldon
  [[ $MONITORING == 1 ]] && install_monitoring
  [[ $MINIO == 1 ]] && install_minio
  next_steps
}

main
