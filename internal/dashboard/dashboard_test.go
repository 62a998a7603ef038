package dashboard

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"upshift.dev/upshift/api/v1alpha1"
	"upshift.dev/upshift/internal/testenv/hub"
)

func TestMain(m *testing.M) { hub.Main(m) }

func at(min int) *metav1.Time {
	t := metav1.NewTime(time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC).Add(time.Duration(min) * time.Minute))
	return &t
}

// seedFleet puts one of everything the dashboard shows on a real hub.
func seedFleet(t *testing.T, h *hub.Hub) {
	t.Helper()
	h.Seed(t,
		&v1alpha1.Member{ObjectMeta: metav1.ObjectMeta{Name: "prod-east"},
			Spec: v1alpha1.MemberSpec{Provider: v1alpha1.ProviderLocal, ClusterName: "prod-east", Group: "prod"},
			Status: v1alpha1.MemberStatus{KubernetesVersion: "1.36.3",
				NodePools:  []v1alpha1.MemberNodePool{{Name: "apps", KubernetesVersion: "1.36.3", NodeImageVersion: "img", Count: 3}},
				Conditions: []metav1.Condition{{Type: v1alpha1.ConditionReachable, Status: metav1.ConditionTrue, Reason: "Probed", LastTransitionTime: *at(0)}}}},
		&v1alpha1.UpdateRun{ObjectMeta: metav1.ObjectMeta{Name: "to-1-37"},
			Spec: v1alpha1.UpdateRunSpec{UpdateStrategyName: "rollout", State: v1alpha1.RunStart,
				Upgrade: v1alpha1.UpgradeSpec{Type: v1alpha1.UpgradeFull, KubernetesVersion: "1.37.2"}},
			Status: v1alpha1.UpdateRunStatus{State: v1alpha1.StateRunning, CurrentStage: "prod", Progress: "2/3 members", Message: "gate waiting for approval",
				Stages: []v1alpha1.StageStatus{
					{Name: "dev", State: v1alpha1.StateCompleted, Groups: []v1alpha1.GroupStatus{{Name: "dev", State: v1alpha1.StateCompleted,
						Members: []v1alpha1.MemberRunStatus{{Name: "dev", State: v1alpha1.StateCompleted}, {Name: "test", State: v1alpha1.StateSkipped}}}}},
					{Name: "prod", State: v1alpha1.StateRunning,
						BeforeGates: []v1alpha1.GateStatus{{Name: "to-1-37-prod-before-0", Type: v1alpha1.GateApproval, State: v1alpha1.StatePending, Message: "waiting for approval"}},
						Groups: []v1alpha1.GroupStatus{{Name: "prod", State: v1alpha1.StateNotStarted,
							Members: []v1alpha1.MemberRunStatus{{Name: "prod-east", State: v1alpha1.StateNotStarted}}}}},
				}}},
		&v1alpha1.Gate{ObjectMeta: metav1.ObjectMeta{Name: "to-1-37-prod-before-0"},
			Spec:   v1alpha1.GateSpec{UpdateRun: "to-1-37", Stage: "prod", Timing: v1alpha1.GateBefore, Type: v1alpha1.GateApproval, DisplayName: "prod change approval", State: v1alpha1.StatePending},
			Status: v1alpha1.GateObjectStatus{State: v1alpha1.StatePending, Message: "waiting for approval"}},
		&v1alpha1.BlueGreenUpgrade{ObjectMeta: metav1.ObjectMeta{Name: "shop-137"},
			Spec: v1alpha1.BlueGreenUpgradeSpec{BlueMember: "prod-east", Green: v1alpha1.NewClusterSpec{ClusterName: "prod-green", KubernetesVersion: "1.37.2"},
				Manifests: v1alpha1.ManifestBundle{ConfigMap: "shop"}},
			Status: v1alpha1.BlueGreenUpgradeStatus{Phase: v1alpha1.BlueGreenBaking, Message: "baking on prod-green: 3m left",
				Blue:    &v1alpha1.ClusterFacts{Provider: "local", Name: "prod-east"},
				Traffic: &v1alpha1.TrafficStatus{Weights: map[string]int32{"prod-east": 0, "prod-green": 100}, Applied: map[string]int32{"prod-east": 0, "prod-green": 100}}}},
		&v1alpha1.CanaryIntake{ObjectMeta: metav1.ObjectMeta{Name: "take-137"},
			Spec: v1alpha1.CanaryIntakeSpec{StableMember: "prod-east", Canary: v1alpha1.NewClusterSpec{ClusterName: "prod-canary", KubernetesVersion: "1.37.2"},
				Manifests: v1alpha1.ManifestBundle{ConfigMap: "shop"}},
			Status: v1alpha1.CanaryIntakeStatus{Phase: v1alpha1.CanaryPaused, CurrentStep: 1, Message: "paused at step 2 (50%): analysis Inconclusive",
				Stable:  &v1alpha1.ClusterFacts{Provider: "local", Name: "prod-east"},
				Traffic: &v1alpha1.TrafficStatus{Applied: map[string]int32{"prod-east": 50, "prod-canary": 50}},
				Steps:   []v1alpha1.CanaryStepStatus{{Weight: 20, Phase: v1alpha1.StepSuccessful}, {Weight: 50, Phase: v1alpha1.StepInconclusive}, {Weight: 100, Phase: v1alpha1.StepPending}}}},
	)
}

// serve starts the dashboard of namespace on h and returns its URL.
func serve(t *testing.T, reader client.Reader, namespace string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{Hub: reader, Namespace: namespace, Interval: 100 * time.Millisecond}
	go s.Run(ctx)
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() { cancel(); ts.CloseClientConnections(); ts.Close() })
	return ts.URL
}

func getState(t *testing.T, url string) State {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(url + "/api/state")
		if err == nil && resp.StatusCode == http.StatusOK {
			defer resp.Body.Close()
			var st State
			if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
				t.Fatal(err)
			}
			return st
		}
		if resp != nil {
			resp.Body.Close()
		}
		if time.Now().After(deadline) {
			t.Fatalf("no state after 10s: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestStateOfARealHub(t *testing.T) {
	h := hub.Start(t)
	seedFleet(t, h)
	st := getState(t, serve(t, h.Client, h.Namespace))
	if st.Error != "" || st.Namespace != h.Namespace {
		t.Fatalf("state: error %q, namespace %q", st.Error, st.Namespace)
	}
	if len(st.Members) != 1 || st.Members[0].Version != "1.36.3" || st.Members[0].Reachable != "True" || st.Members[0].Pools[0] != "apps: 3 at 1.36.3" {
		t.Errorf("members %+v", st.Members)
	}
	if len(st.Runs) != 1 {
		t.Fatalf("runs %+v", st.Runs)
	}
	run := st.Runs[0]
	if run.State != "Running" || run.Progress != "2/3 members" || len(run.Stages) != 2 || run.Stages[0].Done != 2 || run.Stages[0].Total != 2 ||
		run.Stages[1].Gates[0].State != "Pending" {
		t.Errorf("run %+v", run)
	}
	n := " -n " + h.Namespace
	if len(st.Gates) != 1 || st.Gates[0].Approve != "upshift gate approve to-1-37-prod-before-0"+n || st.Gates[0].DisplayName != "prod change approval" {
		t.Errorf("gates %+v", st.Gates)
	}
	bg := st.BlueGreen[0]
	if bg.Phase != "Baking" || bg.From != "prod-east" || bg.To != "prod-green" || bg.Weights["prod-green"] != 100 ||
		strings.Join(bg.Commands, "|") != "upshift bluegreen promote shop-137"+n+"|upshift bluegreen rollback shop-137"+n {
		t.Errorf("blue-green %+v", bg)
	}
	ci := st.Canaries[0]
	if ci.Phase != "Paused" || ci.Step != "2/3: 50%" || ci.Weights["prod-canary"] != 50 || ci.Commands[1] != "upshift canary abort take-137"+n {
		t.Errorf("canary %+v", ci)
	}
}

func TestEventsStreamChanges(t *testing.T) {
	h := hub.Start(t)
	seedFleet(t, h)
	url := serve(t, h.Client, h.Namespace)
	getState(t, url) // the first read is done
	resp, err := http.Get(url + "/api/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	events := make(chan State, 8)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var st State
				if json.Unmarshal([]byte(data), &st) == nil {
					events <- st
				}
			}
		}
		close(events)
	}()
	next := func(what string) State {
		t.Helper()
		select {
		case st, ok := <-events:
			if !ok {
				t.Fatalf("the stream ended before %s", what)
			}
			return st
		case <-time.After(10 * time.Second):
			t.Fatalf("no event for %s in 10s", what)
		}
		return State{}
	}
	if st := next("the first state"); st.Runs[0].State != "Running" {
		t.Fatalf("first event: run %s", st.Runs[0].State)
	}
	// A person approves the gate; the controller moves on.
	gate := &v1alpha1.Gate{}
	if err := h.Client.Get(context.Background(), client.ObjectKey{Namespace: h.Namespace, Name: "to-1-37-prod-before-0"}, gate); err != nil {
		t.Fatal(err)
	}
	gate.Status.State = v1alpha1.StateCompleted
	if err := h.Client.Status().Update(context.Background(), gate); err != nil {
		t.Fatal(err)
	}
	if st := next("the approval"); len(st.Gates) != 0 {
		t.Errorf("gates after the approval: %+v", st.Gates)
	}
}

func TestUnreachableHubIsSaid(t *testing.T) {
	// A real client of an address where nothing listens.
	ln := httptest.NewServer(http.NotFoundHandler())
	addr := ln.URL
	ln.Close()
	c, err := client.New(&rest.Config{Host: addr, Timeout: 2 * time.Second}, client.Options{Scheme: hub.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	st := getState(t, serve(t, c, "upshift-system"))
	if !strings.Contains(st.Error, "cannot list members on the hub") || st.Runs == nil {
		t.Errorf("state of an unreachable hub: %+v", st)
	}
}

func TestPageAndHeaders(t *testing.T) {
	h := hub.Start(t)
	// Data from the hub that would end the page's inline script if it
	// were not escaped.
	h.Seed(t, &v1alpha1.UpdateRun{ObjectMeta: metav1.ObjectMeta{Name: "r"},
		Spec:   v1alpha1.UpdateRunSpec{UpdateStrategyName: "s", Upgrade: v1alpha1.UpgradeSpec{Type: v1alpha1.UpgradeFull, KubernetesVersion: "1.37.2"}},
		Status: v1alpha1.UpdateRunStatus{State: v1alpha1.StateFailed, Message: "</script><script>alert(1)</script>"}})
	url := serve(t, h.Client, h.Namespace)
	getState(t, url)
	for path, want := range map[string]string{"/": "<title>upshift dashboard</title>", "/app.js": "EventSource", "/style.css": ".badge"} {
		resp, err := http.Get(url + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), want) {
			t.Errorf("GET %s: %d, body without %q", path, resp.StatusCode, want)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
			t.Errorf("GET %s: Content-Security-Policy %q", path, csp)
		}
	}
	resp, err := http.Get(url + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), `<script id="state" type="application/json">{`) || strings.Contains(string(page), "<script>alert") {
		t.Errorf("the page's inline state is missing or not escaped:\n%s", page)
	}

	resp, err = http.Post(url+"/api/state", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /api/state: %d; the dashboard must only read", resp.StatusCode)
	}
}
