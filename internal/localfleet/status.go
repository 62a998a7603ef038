package localfleet

import (
	"context"
	"sort"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"upshift.dev/upshift/internal/version"
)

// ClusterStatus is one row of `upshift local status`.
type ClusterStatus struct {
	Name    string `json:"name"`
	Context string `json:"context"`
	// Running is false when the API server does not answer.
	Running           bool         `json:"running"`
	KubernetesVersion string       `json:"kubernetesVersion,omitempty"`
	Pools             []PoolStatus `json:"pools"`
	Nodes             int          `json:"nodes"`
	ReadyNodes        int          `json:"readyNodes"`
	CordonedNodes     int          `json:"cordonedNodes"`
	Pods              int          `json:"pods"`
	ReadyPods         int          `json:"readyPods"`
	// DeadComponents are control-plane or kwok processes that exited.
	DeadComponents []string `json:"deadComponents,omitempty"`
	Error          string   `json:"error,omitempty"`
}

// PoolStatus summarises a node pool from its nodes.
type PoolStatus struct {
	Name            string   `json:"name"`
	Nodes           int      `json:"nodes"`
	ReadyNodes      int      `json:"readyNodes"`
	KubeletVersions []string `json:"kubeletVersions"`
	NodeImages      []string `json:"nodeImages"`
}

// Status reports every cluster (or the named ones), asking each API server
// in parallel with a short timeout so a stopped cluster cannot stall it.
func (f *Fleet) Status(ctx context.Context, names ...string) ([]ClusterStatus, error) {
	if len(names) == 0 {
		all, err := f.Names()
		if err != nil {
			return nil, err
		}
		names = all
	}
	out := make([]ClusterStatus, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			out[i] = f.clusterStatus(cctx, name)
		}()
	}
	wg.Wait()
	return out, nil
}

func (f *Fleet) clusterStatus(ctx context.Context, name string) ClusterStatus {
	st := ClusterStatus{Name: name, Context: ContextName(name), Pools: []PoolStatus{}, DeadComponents: f.DeadComponents(name)}
	c, err := f.GetCluster(ctx, name)
	if err != nil {
		st.Error = err.Error()
		return st
	}
	st.Running, st.KubernetesVersion = true, c.KubernetesVersion
	client, err := f.Client(name)
	if err != nil {
		st.Error = err.Error()
		return st
	}
	nodes, err := client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		st.Error = err.Error()
		return st
	}
	pools := map[string]*PoolStatus{}
	for i := range nodes.Items {
		n := &nodes.Items[i]
		st.Nodes++
		ready := NodeReady(n)
		if ready {
			st.ReadyNodes++
		}
		if n.Spec.Unschedulable {
			st.CordonedNodes++
		}
		pn := n.Labels[LabelAgentPool]
		if pn == "" {
			pn = "(none)"
		}
		p := pools[pn]
		if p == nil {
			p = &PoolStatus{Name: pn}
			pools[pn] = p
		}
		p.Nodes++
		if ready {
			p.ReadyNodes++
		}
		p.KubeletVersions = addUnique(p.KubeletVersions, version.Trim(n.Status.NodeInfo.KubeletVersion))
		p.NodeImages = addUnique(p.NodeImages, n.Labels[LabelNodeImageVersion])
	}
	for _, p := range pools {
		sort.Strings(p.KubeletVersions)
		sort.Strings(p.NodeImages)
		st.Pools = append(st.Pools, *p)
	}
	sort.Slice(st.Pools, func(i, j int) bool { return st.Pools[i].Name < st.Pools[j].Name })

	pods, err := client.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
	if err != nil {
		st.Error = err.Error()
		return st
	}
	for i := range pods.Items {
		p := &pods.Items[i]
		if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			continue
		}
		st.Pods++
		if PodReady(p) {
			st.ReadyPods++
		}
	}
	return st
}

// PodReady reports the pod's Ready condition.
func PodReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func addUnique(s []string, v string) []string {
	if v == "" {
		return s
	}
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}
