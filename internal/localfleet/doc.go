// Package localfleet runs upshift's embedded default: a fleet of real
// Kubernetes control planes on this machine. Each cluster is a real
// kube-apiserver, etcd, kube-controller-manager and kube-scheduler started
// by kwokctl's binary runtime from the cached toolchain, with nodes
// simulated by kwok: AKS-shaped node pools (labels, images, kubelet
// versions), kwok stages that give pods and nodes realistic start and stop
// delays, and sample apps with probes, preStop hooks and PDBs.
//
// A Fleet implements the provider interfaces (clusters, node pools and
// single nodes) for those clusters, including a real control-plane upgrade
// that restarts the components on newer binaries over the same etcd data,
// so every engine runs against it as it would against AKS.
//
// Everything about a cluster is read back from kwokctl's work directory and
// from the cluster itself; several upshift processes may share a fleet. Its
// state directory holds kwokctl's clusters, one kubeconfig with a context
// upshift-NAME per cluster, and the background processes the fleet runs
// (the hub's controller, the traffic data plane).
package localfleet
