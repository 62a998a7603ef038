package localfleet

import (
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"upshift.dev/upshift/internal/provider"
)

func TestNodeNameRoundTrip(t *testing.T) {
	for _, i := range []int{0, 1, 35, 36, 1000} {
		name := nodeName("dev", "apps", i)
		if !strings.HasPrefix(name, "aks-apps-") {
			t.Errorf("nodeName(%d) = %q, want aks-apps- prefix", i, name)
		}
		if got := nodeIndex(name); got != i {
			t.Errorf("nodeIndex(%q) = %d, want %d", name, got, i)
		}
	}
	if a, b := nodeName("dev", "apps", 0), nodeName("prod", "apps", 0); a == b {
		t.Errorf("clusters share node names: %q", a)
	}
	if got := nodeIndex("not-an-aks-node"); got != -1 {
		t.Errorf("nodeIndex of a foreign name = %d, want -1", got)
	}
}

func TestStagesConfigSetsDelays(t *testing.T) {
	out, err := kwokctlConfig(Delays{PodStart: 2 * time.Second, PodStop: 1500 * time.Millisecond, NodeReady: 3 * time.Second}, Ports{KubeApiserver: 20001})
	if err != nil {
		t.Fatal(err)
	}
	docs := strings.Split(string(out), "---\n")
	got := map[string]int64{}
	for _, d := range docs {
		if strings.TrimSpace(d) == "" {
			continue
		}
		var obj struct {
			Metadata struct{ Name string }
			Spec     struct {
				Delay *struct {
					DurationMilliseconds       int64
					JitterDurationMilliseconds *int64
				}
			}
		}
		if err := yaml.Unmarshal([]byte(d), &obj); err != nil {
			t.Fatal(err)
		}
		if obj.Spec.Delay != nil && obj.Metadata.Name != "" {
			got[obj.Metadata.Name] = obj.Spec.Delay.DurationMilliseconds
			if obj.Spec.Delay.JitterDurationMilliseconds != nil {
				t.Errorf("stage %s keeps jitter; timing must be repeatable", obj.Metadata.Name)
			}
		}
	}
	if !strings.Contains(string(out), "kubeApiserverPort: 20001") {
		t.Error("the kwokctl configuration does not carry the allocated ports")
	}
	for stage, want := range map[string]int64{"pod-ready": 2000, "pod-delete": 1500, "node-initialize": 3000, "pod-create": 0} {
		if got[stage] != want {
			t.Errorf("stage %s delay = %dms, want %dms", stage, got[stage], want)
		}
	}
}

func TestSampleObjects(t *testing.T) {
	all, err := SampleObjects(true)
	if err != nil {
		t.Fatal(err)
	}
	safe, err := SampleObjects(false)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	fragile := 0
	for _, o := range all {
		kinds[o.GetKind()]++
		if o.GetLabels()[LabelFragile] == "true" {
			fragile++
		}
	}
	for _, k := range []string{"Deployment", "StatefulSet", "DaemonSet", "Service", "PodDisruptionBudget", "Namespace"} {
		if kinds[k] == 0 {
			t.Errorf("sample apps have no %s", k)
		}
	}
	if fragile == 0 {
		t.Error("the fragile app is missing")
	}
	for _, o := range safe {
		if o.GetLabels()[LabelFragile] == "true" {
			t.Errorf("--no-fragile-app still installs %s %s", o.GetKind(), o.GetName())
		}
	}
}

func TestValidate(t *testing.T) {
	f := &Fleet{Dir: t.TempDir()}
	ok := ClusterSpec{Name: "dev", KubernetesVersion: "1.36.3", Pools: MemberPools(1, "1.36.3")}
	tests := []struct {
		name  string
		specs []ClusterSpec
		want  string
	}{
		{"none", nil, "no clusters given"},
		{"bad name", []ClusterSpec{{Name: "Dev_1", KubernetesVersion: "1.36.3"}}, `invalid cluster name "Dev_1"`},
		{"duplicate", []ClusterSpec{ok, ok}, `"dev" is listed twice`},
		{"unknown version", []ClusterSpec{{Name: "dev", KubernetesVersion: "1.30.0"}}, `"1.30.0" is not supported`},
		{"bad pool", []ClusterSpec{{Name: "dev", KubernetesVersion: "1.36.3", Pools: []provider.NodePool{{Name: "Apps_1", Mode: provider.ModeUser}}}}, `invalid node pool name "Apps_1"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := f.Validate(tt.specs)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
	if err := f.Validate([]ClusterSpec{ok}); err != nil {
		t.Fatalf("Validate(valid) = %v", err)
	}
}
