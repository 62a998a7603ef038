#!/usr/bin/env bash
# The main job on the local fleet: start hub, dev, test and prod and show them.
set -euo pipefail
cd "$(dirname "$0")/.."
upshift=bin/upshift

echo "==> upshift $($upshift version | head -1)"
echo "==> removing a previous demo fleet, if any"
$upshift local down --ignore-not-found hub dev test prod
echo "==> starting the local fleet (hub, dev, test, prod at Kubernetes 1.36.3)"
$upshift local up --clusters hub,dev,test,prod --kubernetes-version 1.36.3
echo
echo "==> status"
$upshift local status
