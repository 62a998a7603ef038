#!/usr/bin/env bash
# The node pool upgrade people run by hand today: node by node, cordon,
# drain, replace, uncordon. "Replace" does with kubectl what localfleet's
# ReimageNode does to a kwok node: the kubelet comes back at the new version
# (a status patch of nodeInfo), with the new image label, and stays cordoned
# for the node-ready delay (the reboot) before it is uncordoned.
#
# Every kubectl call logs its requests (-v=6) to $LOG_DIR/<step>.log, where
# step is list, drain (cordon and drain) or replace, for counting.
set -euo pipefail
: "${KUBECTL:?}" "${KUBECONFIG_FILE:?}" "${CONTEXT:?}" "${POOL:?}" "${VERSION:?}" "${IMAGE:?}" "${READY_DELAY:?}" "${LOG_DIR:?}"

k() {
  local step=$1
  shift
  "$KUBECTL" --kubeconfig "$KUBECONFIG_FILE" --context "$CONTEXT" --cache-dir "$LOG_DIR/cache" -v=6 "$@" 2>>"$LOG_DIR/$step.log"
}

nodes=$(k list get nodes -l "kubernetes.azure.com/agentpool=$POOL" -o name)
for node in $nodes; do
  node=${node#node/}
  echo "$(date +%T) $node" >&2
  k drain cordon "$node" >/dev/null
  k drain drain "$node" --ignore-daemonsets --delete-emptydir-data >/dev/null
  boot=$(cat /proc/sys/kernel/random/uuid)
  k replace patch node "$node" --subresource=status --type=merge \
    -p "{\"status\":{\"nodeInfo\":{\"kubeletVersion\":\"v$VERSION\",\"kubeProxyVersion\":\"v$VERSION\",\"bootID\":\"$boot\"}}}" >/dev/null
  k replace label node "$node" "kubernetes.azure.com/node-image-version=$IMAGE" --overwrite >/dev/null
  sleep "$READY_DELAY"
  k replace uncordon "$node" >/dev/null
done
