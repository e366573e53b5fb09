#!/usr/bin/env bash
# Start the real Kubernetes control plane on 127.0.0.1 (make controlplane-up): etcd,
# kube-apiserver (token auth, service-account keys, RBAC, default admission plugins),
# kube-controller-manager, kube-scheduler, and kwok simulating one large Node (its stages in
# tests/controlplane/kwok-stages.yaml). The Node's address is 127.0.0.1, so anything the API
# server sends to "its kubelet" (logs, exec) stays on this machine; pod IPs (10.0.0.0/24) are
# only written into statuses, never contacted. Then installs
# Seldon's SeldonDeployment CRD (../shared/seldon/crd). Safe to run twice: a running plane is
# reused. Stop it with scripts/controlplane-down.sh.
#
# Writes $CONTROLPLANE_RUN/kubeconfig with two contexts:
#   controlplane          user "admin" (group system:masters)
#   controlplane-limited  user "limited" (authenticated, no RBAC grants: tests grant what they need)
#
# Environment:
#   CONTROLPLANE_HOME  binaries, as built by scripts/controlplane-build.sh
#   CONTROLPLANE_RUN   state, logs, certificates, kubeconfig (default /tmp/seldon-graphs-controlplane)
#   CONTROLPLANE_PORT  kube-apiserver's port (default 16443); etcd uses 12379 and 12380
#   SELDON_CRD         the CRD file (default ../shared/seldon/crd/seldondeployments...yaml)
set -Eeuo pipefail

here=$(cd "${BASH_SOURCE[0]%/*}" && pwd)
repo=${here%/scripts}
CONTROLPLANE_HOME=${CONTROLPLANE_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/seldon-graphs/controlplane}
CONTROLPLANE_RUN=${CONTROLPLANE_RUN:-/tmp/seldon-graphs-controlplane}
CONTROLPLANE_PORT=${CONTROLPLANE_PORT:-16443}
ETCD_PORT=${ETCD_PORT:-12379}
ETCD_PEER_PORT=${ETCD_PEER_PORT:-12380}
SELDON_CRD=${SELDON_CRD:-$repo/../shared/seldon/crd/seldondeployments.machinelearning.seldon.io.yaml}
START_TIMEOUT=${START_TIMEOUT:-60}

bin=$CONTROLPLANE_HOME/bin
run=$CONTROLPLANE_RUN
pki=$run/pki
kubeconfig=$run/kubeconfig
server=https://127.0.0.1:$CONTROLPLANE_PORT

say() { printf '==> %s\n' "$*"; }
die() { printf 'controlplane-up: error: %s\n' "$*" >&2; exit 1; }
kc() { kubectl --kubeconfig "$kubeconfig" --context controlplane "$@"; }

# A component that dies early names its log, so the cause is one `tail` away.
failed() {
  printf 'controlplane-up: error: %s (logs in %s/logs); run scripts/controlplane-down.sh\n' \
    "$1" "$run" >&2
  exit 1
}

check_tools() {
  local b
  for b in kube-apiserver kube-controller-manager kube-scheduler kwok; do
    [[ -x $bin/$b ]] || die "$bin/$b is missing: run 'make controlplane' first"
  done
  command -v etcd >/dev/null || die "etcd is missing: run 'make controlplane' first"
  command -v kubectl >/dev/null || die "kubectl is missing (Debian: apt-get install kubectl)"
  command -v openssl >/dev/null || die "openssl is missing"
  [[ -f $SELDON_CRD ]] || die "Seldon's CRD is not at $SELDON_CRD (set SELDON_CRD)"
}

# running NAME: its recorded process exists, is not a zombie (a killed orphan that no parent
# has reaped yet still answers `kill -0`), and is still NAME (a pid file left by a machine
# restart may name a pid reused by something else).
running() {
  local pidfile=$run/pids/$1.pid pid
  [[ -f $pidfile ]] || return 1
  pid=$(<"$pidfile")
  [[ -r /proc/$pid/stat ]] && [[ $(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null) != Z ]] &&
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$1"
}

# start NAME COMMAND...: detached in its own session, output in logs/NAME.log.
start() {
  local name=$1
  shift
  if running "$name"; then
    return
  fi
  setsid "$@" >"$run/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$run/pids/$name.pid"
}

# until_ok WHAT COMMAND...: poll once a second, up to START_TIMEOUT, failing with WHAT.
until_ok() {
  local what=$1 deadline=$((SECONDS + START_TIMEOUT))
  shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || failed "$what did not come up in ${START_TIMEOUT}s"
    sleep 1
  done
}

make_pki() {
  [[ -f $pki/admin.token ]] && return
  say "certificates and tokens in $pki"
  mkdir -p "$pki"
  (
    cd "$pki"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=seldon-graphs-controlplane-ca \
      -keyout ca.key -out ca.crt -addext basicConstraints=critical,CA:TRUE 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj /CN=kube-apiserver -keyout apiserver.key \
      -out apiserver.csr 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,%s\n' \
      'DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local' >apiserver.ext
    openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
      -extfile apiserver.ext -out apiserver.crt 2>/dev/null
    openssl genrsa -out sa.key 2048 2>/dev/null
    openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
    openssl rand -hex 24 >admin.token
    openssl rand -hex 24 >limited.token
    printf '%s,admin,admin,"system:masters"\n%s,limited,limited\n' \
      "$(<admin.token)" "$(<limited.token)" >tokens.csv
    chmod 600 ./*.key ./*.token tokens.csv
  )
}

write_kubeconfig() {
  local ca
  ca=$(base64 -w0 <"$pki/ca.crt")
  umask 077
  cat >"$kubeconfig.tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: controlplane
  cluster: {server: "$server", certificate-authority-data: "$ca"}
users:
- name: admin
  user: {token: "$(<"$pki/admin.token")"}
- name: limited
  user: {token: "$(<"$pki/limited.token")"}
contexts:
- name: controlplane
  context: {cluster: controlplane, user: admin, namespace: default}
- name: controlplane-limited
  context: {cluster: controlplane, user: limited, namespace: default}
current-context: controlplane
EOF
  mv "$kubeconfig.tmp" "$kubeconfig"
}

start_etcd() {
  start etcd etcd --name default --data-dir "$run/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "default=http://127.0.0.1:$ETCD_PEER_PORT"
  until_ok etcd curl -fsS "http://127.0.0.1:$ETCD_PORT/health"
}

start_apiserver() {
  # --enable-admission-plugins unset: the default set, with ServiceAccount, NamespaceLifecycle
  # and both admission webhooks, as on a real cluster.
  start kube-apiserver "$bin/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$CONTROLPLANE_PORT" \
    --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
    --client-ca-file "$pki/ca.crt" --token-auth-file "$pki/tokens.csv" \
    --service-account-issuer https://kubernetes.default.svc \
    --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
    --authorization-mode Node,RBAC --service-cluster-ip-range 10.96.0.0/16 \
    --allow-privileged=true --cert-dir "$run/apiserver-certs"
  until_ok kube-apiserver kc get --raw /readyz
}

start_controllers() {
  start kube-controller-manager "$bin/kube-controller-manager" --kubeconfig "$kubeconfig" \
    --service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" \
    --bind-address 127.0.0.1 --secure-port 0 --leader-elect=false
  start kube-scheduler "$bin/kube-scheduler" --kubeconfig "$kubeconfig" \
    --bind-address 127.0.0.1 --secure-port 0 --leader-elect=false
  start kwok "$bin/kwok" --kubeconfig "$kubeconfig" --manage-all-nodes=false \
    --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake \
    --config "$repo/tests/controlplane/kwok-stages.yaml" \
    --cidr 10.0.0.1/24 --node-ip 127.0.0.1 --node-lease-duration-seconds 40
}

install_node_and_crd() {
  kc apply --server-side --field-manager controlplane-up -f "$repo/tests/controlplane/node.yaml" >/dev/null
  # 2.5 MB: too big for client-side apply's last-applied annotation.
  kc apply --server-side --force-conflicts --field-manager controlplane-up -f "$SELDON_CRD" >/dev/null
  until_ok "the SeldonDeployment CRD" kc wait --for condition=Established --timeout 5s \
    crd/seldondeployments.machinelearning.seldon.io
  # Pods need the `default` ServiceAccount that the controller-manager creates.
  until_ok "the default ServiceAccount" kc -n default get serviceaccount default
  until_ok "the kwok Node" kc wait --for condition=Ready --timeout 5s node/kwok-node-0
}

main() {
  check_tools
  mkdir -p "$run/pids" "$run/logs"
  make_pki
  write_kubeconfig
  say "etcd on 127.0.0.1:$ETCD_PORT"
  start_etcd
  say "kube-apiserver on $server"
  start_apiserver
  say "controller-manager, scheduler, kwok"
  start_controllers
  say "Node kwok-node-0 and the SeldonDeployment CRD"
  install_node_and_crd
  say "up in ${SECONDS}s; export KUBECONFIG=$kubeconfig"
}

main "$@"
