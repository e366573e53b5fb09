#!/usr/bin/env bash
# Delete the kind cluster made by scripts/kind-up.sh. Safe to run twice.
#   CLUSTER_NAME  (default: seldon), or --name NAME
set -euo pipefail

CLUSTER_NAME=${CLUSTER_NAME:-seldon}
if [[ ${1:-} == --name ]]; then CLUSTER_NAME=${2:?--name needs a value}; fi

if ! command -v kind >/dev/null 2>&1; then
  printf 'kind-down: error: missing tool: kind\n  kind: install from %s\n' \
    "https://kind.sigs.k8s.io/docs/user/quick-start/#installation" >&2
  exit 1
fi

while read -r name; do
  if [[ $name == "$CLUSTER_NAME" ]]; then
    kind delete cluster --name "$CLUSTER_NAME"
    exit 0
  fi
done < <(kind get clusters 2>/dev/null)
printf '==> no kind cluster named %s: nothing to delete\n' "$CLUSTER_NAME"
