package localfleet_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"

	"k8s.io/client-go/tools/clientcmd"

	"upshift.dev/upshift/internal/localfleet"
	"upshift.dev/upshift/internal/toolchain"
)

// TestUpIsAllOrNothing interrupts `local up` once one cluster's control
// plane is running and checks nothing is left: no cluster directory, no
// kubeconfig context, no process.
func TestUpIsAllOrNothing(t *testing.T) {
	if _, err := (toolchain.Cache{}).Ensure(context.Background(), nil, "1.37.2"); err != nil {
		t.Fatal(err)
	}
	f := &localfleet.Fleet{Dir: t.TempDir()}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	specs := []localfleet.ClusterSpec{
		{Name: "one", KubernetesVersion: "1.37.2", Pools: localfleet.MemberPools(1, "1.37.2"), SampleApps: true},
		{Name: "two", KubernetesVersion: "1.37.2", Pools: localfleet.MemberPools(1, "1.37.2")},
	}
	err := f.Up(ctx, specs, func(e localfleet.Event) {
		t.Logf("%s: %s: %s", e.Cluster, e.Step, e.Message)
		if e.Step == "nodes" {
			cancel() // Ctrl-C while the first cluster is already running
		}
	})
	if err == nil {
		t.Fatal("Up succeeded although it was interrupted")
	}
	t.Logf("Up: %v", err)
	if names, _ := f.Names(); len(names) != 0 {
		t.Errorf("clusters left behind: %v", names)
	}
	if cfg, err := clientcmd.LoadFromFile(f.KubeconfigPath()); err == nil && len(cfg.Contexts) != 0 {
		t.Errorf("contexts left behind: %v", cfg.Contexts)
	} else if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	out, _ := exec.Command("pgrep", "-af", f.Dir).Output()
	if s := strings.TrimSpace(string(out)); s != "" {
		t.Errorf("processes left behind:\n%s", s)
	}
}
