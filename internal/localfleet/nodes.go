package localfleet

import (
	"fmt"
	"hash/fnv"
	"regexp"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"upshift.dev/upshift/internal/provider"
	"upshift.dev/upshift/internal/version"
)

// Labels and annotations AKS puts on nodes, which upshift reads the same way
// on every provider.
const (
	LabelAgentPool        = "kubernetes.azure.com/agentpool"
	LabelAgentPoolShort   = "agentpool"
	LabelMode             = "kubernetes.azure.com/mode"
	LabelNodeImageVersion = "kubernetes.azure.com/node-image-version"
	LabelCluster          = "kubernetes.azure.com/cluster"
	LabelZone             = "topology.kubernetes.io/zone"
	LabelInstanceType     = "node.kubernetes.io/instance-type"
	LabelHostname         = "kubernetes.io/hostname"

	// annotationKwokNode hands the node to the kwok controller.
	annotationKwokNode = "kwok.x-k8s.io/node"
)

// Node images the local provider offers, oldest first. New clusters start
// one behind the newest so a node-image patch campaign has somewhere to go.
var nodeImages = []string{
	"AKSUbuntu-2204gen2containerd-202609.23.0",
	"AKSUbuntu-2204gen2containerd-202610.21.0",
	"AKSUbuntu-2204gen2containerd-202611.18.0",
}

// DefaultNodeImage is what new pools run.
func DefaultNodeImage() string { return nodeImages[len(nodeImages)-2] }

// LatestNodeImage is the newest image offered.
func LatestNodeImage() string { return nodeImages[len(nodeImages)-1] }

// KnownNodeImage reports whether image is offered.
func KnownNodeImage(image string) bool {
	for _, i := range nodeImages {
		if i == image {
			return true
		}
	}
	return false
}

// nodeName builds an AKS-shaped name: aks-<pool>-<8 digits>-vmss<6 base36>.
// The digits are stable per cluster and pool, like the VMSS's.
func nodeName(cluster, pool string, index int) string {
	h := fnv.New32a()
	fmt.Fprintf(h, "%s/%s", cluster, pool)
	suffix := strconv.FormatInt(int64(index), 36)
	for len(suffix) < 6 {
		suffix = "0" + suffix
	}
	return fmt.Sprintf("aks-%s-%08d-vmss%s", pool, h.Sum32()%100000000, suffix)
}

var nodeIndexRE = regexp.MustCompile(`-vmss([0-9a-z]{6})$`)

// nodeIndex parses the instance index out of a node name; -1 if it has none.
func nodeIndex(name string) int {
	m := nodeIndexRE.FindStringSubmatch(name)
	if m == nil {
		return -1
	}
	n, err := strconv.ParseInt(m[1], 36, 64)
	if err != nil {
		return -1
	}
	return int(n)
}

var zones = []string{"1", "2", "3"}

// newNode renders a kwok Node the way an AKS node registers: pool, mode,
// image and zone labels, kubelet version in status, VM-sized capacity.
func newNode(cluster string, pool provider.NodePool, index int, target provider.NodeTarget) *corev1.Node {
	name := nodeName(cluster, pool.Name, index)
	kv := "v" + version.Trim(target.KubernetesVersion)
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("4"),
		corev1.ResourceMemory: resource.MustParse("16Gi"),
		corev1.ResourcePods:   resource.MustParse("110"),
	}
	allocatable := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("3860m"),
		corev1.ResourceMemory: resource.MustParse("12Gi"),
		corev1.ResourcePods:   resource.MustParse("110"),
	}
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name: name,
			Labels: map[string]string{
				LabelAgentPool:              pool.Name,
				LabelAgentPoolShort:         pool.Name,
				LabelMode:                   modeLabel(pool.Mode),
				LabelNodeImageVersion:       target.NodeImageVersion,
				LabelCluster:                "MC_local_" + cluster + "_local",
				LabelZone:                   "local-" + zones[index%len(zones)],
				LabelInstanceType:           vmSize(pool),
				LabelHostname:               name,
				"kubernetes.io/os":          "linux",
				"kubernetes.io/arch":        "amd64",
				"kubernetes.azure.com/role": "agent",
				"type":                      "kwok",
			},
			Annotations: map[string]string{annotationKwokNode: "fake"},
		},
		Spec: corev1.NodeSpec{
			ProviderID: fmt.Sprintf("kwok://%s/%s", cluster, name),
			// A kubelet registers with this taint and the node lifecycle
			// controller lifts it once the node is Ready; without it the
			// scheduler would place pods on a node that is still booting.
			Taints: []corev1.Taint{{Key: corev1.TaintNodeNotReady, Effect: corev1.TaintEffectNoSchedule}},
		},
		Status: corev1.NodeStatus{
			Capacity:    capacity,
			Allocatable: allocatable,
			NodeInfo: corev1.NodeSystemInfo{
				KubeletVersion:          kv,
				KubeProxyVersion:        kv,
				OSImage:                 "Ubuntu 22.04.5 LTS",
				KernelVersion:           "5.15.0-1079-azure",
				ContainerRuntimeVersion: "containerd://1.7.27-1",
				OperatingSystem:         "linux",
				Architecture:            "amd64",
			},
		},
	}
}

func modeLabel(mode string) string {
	if mode == provider.ModeSystem {
		return "system"
	}
	return "user"
}

func vmSize(pool provider.NodePool) string {
	if pool.VMSize != "" {
		return pool.VMSize
	}
	return "Standard_D4s_v5"
}
