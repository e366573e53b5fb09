#!/usr/bin/env bash
# Stop what scripts/controlplane-up.sh started (make controlplane-down): each process by the pid
# it recorded, newest first, then remove the state (etcd data, certificates, kubeconfig), so the
# next `up` starts clean. Leaves no process and no listening port behind; safe to run twice.
#
# Environment: CONTROLPLANE_RUN (default /tmp/seldon-graphs-controlplane), as for up.
set -Eeuo pipefail

CONTROLPLANE_RUN=${CONTROLPLANE_RUN:-/tmp/seldon-graphs-controlplane}
STOP_TIMEOUT=${STOP_TIMEOUT:-20}
run=$CONTROLPLANE_RUN

# alive PID: the process exists and is not a zombie (an orphan whose parent never reaps it).
alive() {
  [[ -r /proc/$1/stat ]] && [[ $(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null) != Z ]]
}

# stop NAME: TERM, then KILL after STOP_TIMEOUT seconds; wait until the pid is gone.
stop() {
  local pidfile=$run/pids/$1.pid pid deadline
  [[ -f $pidfile ]] || return 0
  pid=$(<"$pidfile")
  if alive "$pid"; then
    printf '==> stopping %s (pid %s)\n' "$1" "$pid"
    kill -TERM "$pid" 2>/dev/null || true
    deadline=$((SECONDS + STOP_TIMEOUT))
    while alive "$pid" && ((SECONDS < deadline)); do sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
    while alive "$pid"; do sleep 0.1; done
  fi
  rm -f "$pidfile"
}

for name in kwok kube-scheduler kube-controller-manager kube-apiserver etcd; do
  stop "$name"
done
rm -rf "$run"
echo "==> control plane stopped"
