#!/usr/bin/env bash
# make demo: the main job on the local fleet. A fleet of real control planes
# (hub, dev, test, prod at Kubernetes 1.36.3 with sample apps), a preflight
# for 1.37.2 that finds a drain deadlock, the fix, and an update run
# dev -> test -> prod with a soak, a Validation gate and an Approval gate.
set -euo pipefail
cd "$(dirname "$0")/.."
up=bin/upshift
ns=upshift-system
step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
# kubectl of the fleet's own version when the toolchain has it (the machine's
# may be several minors older than the servers).
kubectl() {
  local k="${UPSHIFT_TOOLCHAIN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/upshift/toolchain}/kubernetes-v1.37.2/bin/kubectl"
  if [ -x "$k" ]; then "$k" "$@"; else command kubectl "$@"; fi
}

step "upshift $($up version | head -1 | cut -d' ' -f2): removing a previous demo fleet, if any"
$up local down --ignore-not-found hub dev test prod

step "Starting the local fleet: hub, dev, test, prod at Kubernetes 1.36.3"
$up local up --clusters hub,dev,test,prod --kubernetes-version 1.36.3
export KUBECONFIG="$($up local env | sed 's/^export KUBECONFIG=//')"

step "Members of the fleet (joined on the hub by local up)"
$up fleet list --context upshift-hub

step "Preflight of dev for Kubernetes 1.37.2"
$up preflight --context upshift-dev --target-version 1.37.2 --fail-on never

step "Fixing what preflight flags as an error: the ledger app's PDB can never allow an eviction"
for c in dev test prod; do
  kubectl --context "upshift-$c" -n legacy scale deployment ledger --replicas 2 >/dev/null
  kubectl --context "upshift-$c" -n legacy patch pdb ledger --type merge -p '{"spec":{"minAvailable":1}}' >/dev/null
  kubectl --context "upshift-$c" -n legacy rollout status deployment ledger --timeout 2m >/dev/null
done
echo "ledger: 2 replicas, PDB minAvailable 1 (one eviction at a time) on dev, test and prod"
$up preflight --context upshift-dev --target-version 1.37.2 --checks workloads --fail-on error >/dev/null && echo "preflight: no errors left on dev"

step "Update run to 1.37.2: dev (soak 20s, Validation gate) -> test -> prod (Approval gate)"
dev_ingress=$($up local status dev -o json | sed -n 's/.*"ingressURL": "\(.*\)".*/\1/p' | head -1)
strategy=$(mktemp)
sed "s#DEV_INGRESS#${dev_ingress}#" examples/strategy-dev-test-prod.yaml > "$strategy"
$up run delete to-1-37 --context upshift-hub -n $ns --force >/dev/null 2>&1 || true
$up run create to-1-37 --context upshift-hub -n $ns --strategy-file "$strategy" --kubernetes-version 1.37.2 --start
rm -f "$strategy"

# Follow the run; approve the prod gate once it is shown waiting.
$up run status to-1-37 --context upshift-hub -n $ns -w &
watcher=$!
gate=to-1-37-prod-before-0
until [ "$(kubectl --context upshift-hub -n $ns get gate $gate -o jsonpath='{.status.state}' 2>/dev/null)" = Pending ]; do
  if ! kill -0 $watcher 2>/dev/null; then break; fi
  sleep 2
done
if kill -0 $watcher 2>/dev/null; then
  step "prod waits for approval"
  $up gate list --context upshift-hub -n $ns --run to-1-37
  sleep 3
  $up gate approve $gate --context upshift-hub -n $ns
fi
wait $watcher

step "Final state"
$up run status to-1-37 --context upshift-hub -n $ns
$up fleet list --context upshift-hub
$up local status
echo
echo "The fleet stays up: explore it with kubectl (export KUBECONFIG=$KUBECONFIG), 'bin/upshift --help',"
echo "watch it in a browser with 'bin/upshift dashboard --context upshift-hub' (http://127.0.0.1:8090/),"
echo "or remove it with 'bin/upshift local down'."
