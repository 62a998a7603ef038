package nodepool_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"upshift.dev/upshift/internal/localfleet"
	"upshift.dev/upshift/internal/localfleet/fleettest"
	"upshift.dev/upshift/internal/nodepool"
	"upshift.dev/upshift/internal/observe"
)

// The kill tests run the upgrade in a child process (this test binary, run
// again with childEnv set) and SIGKILL it half-way, as kill -9 would.
const childEnv = "UPSHIFT_NODEPOOL_CHILD"

type childJob struct {
	FleetDir string
	Spec     nodepool.Spec
}

func TestMain(m *testing.M) {
	if job := os.Getenv(childEnv); job != "" {
		os.Exit(runChild(job))
	}
	os.Exit(m.Run())
}

func runChild(job string) int {
	var j childJob
	if err := json.Unmarshal([]byte(job), &j); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	f := &localfleet.Fleet{Dir: j.FleetDir}
	client, err := f.Client(j.Spec.Cluster)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	u := &nodepool.Upgrader{Client: client, Pools: f, Machines: f, Clusters: f, Events: &observe.Recorder{Client: client}}
	if err := u.Run(context.Background(), j.Spec, nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// killMidway starts the upgrade in a child process and kills it with SIGKILL
// as soon as midway reports true.
func killMidway(t *testing.T, c *fleettest.Cluster, s nodepool.Spec, midway func([]nodeView) bool) {
	t.Helper()
	job, _ := json.Marshal(childJob{FleetDir: c.Fleet.Dir, Spec: s})
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+string(job))
	out := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, 3*time.Minute, true, func(ctx context.Context) (bool, error) {
		select {
		case err := <-exited:
			return false, fmt.Errorf("the upgrade finished before it could be killed (%v): %s", err, out.String())
		default:
		}
		return midway(views(t, c)), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-exited
	t.Logf("killed the upgrade (SIGKILL) with nodes %v", views(t, c))
}

type nodeView struct{ Name, Version, State, Generation string }

func (v nodeView) String() string {
	return fmt.Sprintf("%s:%s:%s%s", v.Name[len(v.Name)-2:], v.Version, v.State, v.Generation)
}

func views(t *testing.T, c *fleettest.Cluster) []nodeView {
	var out []nodeView
	for _, n := range poolNodes(t, c.Client) {
		out = append(out, nodeView{n.Name, n.Status.NodeInfo.KubeletVersion, n.Annotations[nodepool.AnnotationState], n.Labels[nodepool.LabelGeneration]})
	}
	return out
}

// upgradesPerNode counts Upgrade events per node: every reimage records one.
func upgradesPerNode(t *testing.T, c *fleettest.Cluster) map[string]int32 {
	events, err := c.Client.CoreV1().Events(metav1.NamespaceDefault).List(context.Background(), metav1.ListOptions{FieldSelector: "reason=" + observe.ReasonUpgrade})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int32{}
	for _, e := range events.Items {
		if strings.HasPrefix(e.Message, "Upgraded node") {
			out[e.InvolvedObject.Name] += e.Count
		}
	}
	return out
}

func TestSurgeResumesAfterKill(t *testing.T) {
	t.Parallel()
	c := startOld(t, 4, false)
	s := spec(c, nodepool.StrategySurge)
	killMidway(t, c, s, func(nodes []nodeView) bool {
		upgraded, draining := 0, 0
		for _, n := range nodes {
			if n.Version == "v1.37.2" {
				upgraded++
			}
			if n.State == nodepool.StateDraining {
				draining++
			}
		}
		return upgraded >= 2 && draining > 0 // surge node plus one reimaged, another in flight
	})
	if err := upgrader(c).Run(context.Background(), s, nil); err != nil {
		t.Fatal(err)
	}
	assertSettled(t, c, 4)
	for node, n := range upgradesPerNode(t, c) {
		if n != 1 {
			t.Errorf("node %s was upgraded %d times", node, n)
		}
	}
}

func TestBlueGreenResumesAfterKill(t *testing.T) {
	t.Parallel()
	c := startOld(t, 3, false)
	s := spec(c, nodepool.StrategyBlueGreen)
	s.BlueGreen = nodepool.BlueGreenSettings{DrainBatchSize: "2"}
	killMidway(t, c, s, func(nodes []nodeView) bool {
		for _, n := range nodes {
			if n.State == nodepool.StateDrained {
				return true
			}
		}
		return false
	})
	if err := upgrader(c).Run(context.Background(), s, nil); err != nil {
		t.Fatal(err)
	}
	assertSettled(t, c, 3)
}
