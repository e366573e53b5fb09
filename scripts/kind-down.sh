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

if ! clusters=$(kind get clusters 2>&1); then
  printf 'kind-down: error: cannot list the kind clusters (is the docker daemon running?):\n%s\n' \
    "$clusters" >&2
  exit 1
fi
while read -r name; do
  if [[ $name == "$CLUSTER_NAME" ]]; then
    kind delete cluster --name "$CLUSTER_NAME" || {
      rc=$?
      printf 'kind-down: error: deleting the kind cluster %s failed (exit %d); see above\n' \
        "$CLUSTER_NAME" "$rc" >&2
      exit "$rc"
    }
    exit 0
  fi
done <<<"$clusters"
printf '==> no kind cluster named %s: nothing to delete\n' "$CLUSTER_NAME"
