package dashboard

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"upshift.dev/upshift/api/v1alpha1"
)

// State is what the dashboard shows: one snapshot of the hub. Its JSON
// (GET /api/state, and each event of /api/events) is stable; fields are
// only added.
type State struct {
	GeneratedAt time.Time `json:"generatedAt"`
	// Namespace is the fleet shown; empty for every namespace.
	Namespace string `json:"namespace"`
	// Error says why the hub could not be read; the other fields then hold
	// the last snapshot that could.
	Error     string   `json:"error,omitempty"`
	Members   []Member `json:"members"`
	Runs      []Run    `json:"runs"`
	Gates     []Gate   `json:"gates"`
	BlueGreen []Swap   `json:"blueGreen"`
	Canaries  []Swap   `json:"canaries"`
}

// Member is a fleet member and what its last probe found.
type Member struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Group     string `json:"group"`
	Provider  string `json:"provider"`
	Cluster   string `json:"cluster"`
	Version   string `json:"version,omitempty"`
	// Reachable is True, False or Unknown; Message says why when not True.
	Reachable string `json:"reachable"`
	Message   string `json:"message,omitempty"`
	// Pools are "name: count at version".
	Pools []string `json:"pools,omitempty"`
}

// Run is an update run, stage by stage.
type Run struct {
	Namespace    string  `json:"namespace"`
	Name         string  `json:"name"`
	State        string  `json:"state"`
	Version      string  `json:"version,omitempty"`
	Type         string  `json:"type"`
	CurrentStage string  `json:"currentStage,omitempty"`
	Progress     string  `json:"progress,omitempty"`
	Message      string  `json:"message,omitempty"`
	Error        string  `json:"error,omitempty"`
	Stages       []Stage `json:"stages"`
	// Commands steer the run from a terminal.
	Commands []string `json:"commands,omitempty"`
}

// Stage is one stage of a run.
type Stage struct {
	Name    string `json:"name"`
	State   string `json:"state"`
	Message string `json:"message,omitempty"`
	Done    int    `json:"done"`
	Failed  int    `json:"failed"`
	Total   int    `json:"total"`
	// Upgrading are the members upgrading now, with their step.
	Upgrading []string `json:"upgrading,omitempty"`
	// Gates are the stage's gates, before and after, in order.
	Gates []StageGate `json:"gates,omitempty"`
}

// StageGate is a gate as the run sees it.
type StageGate struct {
	Name    string `json:"name"`
	Type    string `json:"type"`
	State   string `json:"state"`
	Message string `json:"message,omitempty"`
}

// Gate is a Gate object that waits for a person.
type Gate struct {
	Namespace   string `json:"namespace"`
	Name        string `json:"name"`
	Run         string `json:"run"`
	Stage       string `json:"stage"`
	Timing      string `json:"timing"`
	Type        string `json:"type"`
	DisplayName string `json:"displayName,omitempty"`
	State       string `json:"state"`
	Message     string `json:"message,omitempty"`
	// Approve is the command that approves it.
	Approve string `json:"approve"`
}

// Swap is a blue-green upgrade or a canary intake: traffic moving from one
// cluster to another.
type Swap struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Phase     string `json:"phase"`
	// From serves the traffic when the strategy starts (blue, stable); To
	// is the cluster it creates (green, canary), at Version.
	From    string `json:"from"`
	To      string `json:"to"`
	Version string `json:"version"`
	// Weights are what the router carries now, by cluster.
	Weights map[string]int32 `json:"weights,omitempty"`
	// Step is a canary's step ("2/3: 50%").
	Step    string `json:"step,omitempty"`
	Message string `json:"message,omitempty"`
	// Commands are what a person can do now: promote, roll back or abort,
	// finish. Rolling back is one of them while it applies.
	Commands []string `json:"commands,omitempty"`
}

// Snapshot reads the hub: Members, UpdateRuns, Gates, BlueGreenUpgrades
// and CanaryIntakes of namespace (every namespace when empty).
func Snapshot(ctx context.Context, hub client.Reader, namespace string, now time.Time) (*State, error) {
	opts := []client.ListOption{}
	if namespace != "" {
		opts = append(opts, client.InNamespace(namespace))
	}
	var (
		members v1alpha1.MemberList
		runs    v1alpha1.UpdateRunList
		gates   v1alpha1.GateList
		bgs     v1alpha1.BlueGreenUpgradeList
		cis     v1alpha1.CanaryIntakeList
	)
	for _, l := range []struct {
		what string
		list client.ObjectList
	}{{"members", &members}, {"update runs", &runs}, {"gates", &gates}, {"blue-green upgrades", &bgs}, {"canary intakes", &cis}} {
		if err := hub.List(ctx, l.list, opts...); err != nil {
			return nil, fmt.Errorf("cannot list %s on the hub: %w", l.what, err)
		}
	}
	st := &State{GeneratedAt: now.UTC(), Namespace: namespace,
		Members: []Member{}, Runs: []Run{}, Gates: []Gate{}, BlueGreen: []Swap{}, Canaries: []Swap{}}
	for i := range members.Items {
		st.Members = append(st.Members, memberView(&members.Items[i]))
	}
	for i := range runs.Items {
		st.Runs = append(st.Runs, runView(&runs.Items[i]))
	}
	for i := range gates.Items {
		if g := &gates.Items[i]; g.Status.State != v1alpha1.StateCompleted && g.Status.State != v1alpha1.StateSkipped {
			st.Gates = append(st.Gates, gateView(g))
		}
	}
	for i := range bgs.Items {
		st.BlueGreen = append(st.BlueGreen, blueGreenView(&bgs.Items[i]))
	}
	for i := range cis.Items {
		st.Canaries = append(st.Canaries, canaryView(&cis.Items[i]))
	}
	sort.Slice(st.Members, func(i, j int) bool {
		a, b := st.Members[i], st.Members[j]
		return a.Namespace+"/"+a.Group+"/"+a.Name < b.Namespace+"/"+b.Group+"/"+b.Name
	})
	return st, nil
}

// ns is the -n argument of a command for namespace.
func ns(namespace string) string {
	if namespace == "upshift-system" {
		return ""
	}
	return " -n " + namespace
}

func memberView(m *v1alpha1.Member) Member {
	v := Member{Namespace: m.Namespace, Name: m.Name, Group: m.Spec.Group, Provider: m.Spec.Provider, Cluster: m.Spec.ClusterName,
		Version: m.Status.KubernetesVersion, Reachable: string(metav1.ConditionUnknown)}
	if c := meta.FindStatusCondition(m.Status.Conditions, v1alpha1.ConditionReachable); c != nil {
		v.Reachable = string(c.Status)
		if c.Status != metav1.ConditionTrue {
			v.Message = c.Message
		}
	}
	for _, p := range m.Status.NodePools {
		v.Pools = append(v.Pools, fmt.Sprintf("%s: %d at %s", p.Name, p.Count, p.KubernetesVersion))
	}
	return v
}

func runView(r *v1alpha1.UpdateRun) Run {
	st := r.Status
	v := Run{Namespace: r.Namespace, Name: r.Name, State: orDefault(st.State, v1alpha1.StateNotStarted), Version: r.Spec.Upgrade.KubernetesVersion,
		Type: orDefault(r.Spec.Upgrade.Type, v1alpha1.UpgradeFull), CurrentStage: st.CurrentStage, Progress: st.Progress,
		Message: st.Message, Error: st.Error, Stages: []Stage{}}
	for _, s := range st.Stages {
		sv := Stage{Name: s.Name, State: s.State, Message: s.Message}
		for _, g := range s.Groups {
			for _, m := range g.Members {
				sv.Total++
				switch m.State {
				case v1alpha1.StateCompleted, v1alpha1.StateSkipped:
					sv.Done++
				case v1alpha1.StateFailed:
					sv.Failed++
				case v1alpha1.StateRunning:
					sv.Upgrading = append(sv.Upgrading, strings.TrimSpace(m.Name+" "+stepOf(m)))
				}
			}
		}
		for _, g := range slices.Concat(s.BeforeGates, s.AfterGates) {
			sv.Gates = append(sv.Gates, StageGate{Name: g.Name, Type: g.Type, State: g.State, Message: g.Message})
		}
		v.Stages = append(v.Stages, sv)
	}
	n := ns(r.Namespace)
	switch v.State {
	case v1alpha1.StateRunning:
		v.Commands = []string{"upshift run status " + r.Name + " -w" + n, "upshift run stop " + r.Name + n}
	case v1alpha1.StateStopped, v1alpha1.StateNotStarted:
		v.Commands = []string{"upshift run start " + r.Name + n}
	case v1alpha1.StateFailed:
		v.Commands = []string{"upshift run status " + r.Name + n, "upshift run retry " + r.Name + " --member MEMBER" + n}
	}
	return v
}

func stepOf(m v1alpha1.MemberRunStatus) string {
	if m.Step == "" {
		return ""
	}
	return "(" + m.Step + ")"
}

func gateView(g *v1alpha1.Gate) Gate {
	return Gate{Namespace: g.Namespace, Name: g.Name, Run: g.Spec.UpdateRun, Stage: g.Spec.Stage, Timing: g.Spec.Timing, Type: g.Spec.Type,
		DisplayName: g.Spec.DisplayName, State: orDefault(g.Status.State, v1alpha1.StatePending), Message: g.Status.Message,
		Approve: "upshift gate approve " + g.Name + ns(g.Namespace)}
}

func blueGreenView(bg *v1alpha1.BlueGreenUpgrade) Swap {
	st := bg.Status
	v := Swap{Kind: "BlueGreenUpgrade", Namespace: bg.Namespace, Name: bg.Name, Phase: orDefault(st.Phase, v1alpha1.BlueGreenPending),
		From: bg.Spec.BlueMember, To: bg.Spec.Green.ClusterName, Version: bg.Spec.Green.KubernetesVersion, Message: st.Message}
	if st.Blue != nil {
		v.From = st.Blue.Name
	}
	if st.Traffic != nil {
		v.Weights = st.Traffic.Applied
	}
	cmd := func(verb string) string { return "upshift bluegreen " + verb + " " + bg.Name + ns(bg.Namespace) }
	switch v.Phase {
	case v1alpha1.BlueGreenPreSwitchAnalysis, v1alpha1.BlueGreenBaking:
		v.Commands = []string{cmd("promote"), cmd("rollback")}
	case v1alpha1.BlueGreenPromoted:
		v.Commands = []string{cmd("rollback"), cmd("finish")}
	case v1alpha1.BlueGreenRolledBack, v1alpha1.BlueGreenFailed:
		v.Commands = []string{cmd("finish")}
	case v1alpha1.BlueGreenRollingBack, v1alpha1.BlueGreenFinishing, v1alpha1.BlueGreenFinished:
	default:
		v.Commands = []string{cmd("rollback")}
	}
	return v
}

func canaryView(ci *v1alpha1.CanaryIntake) Swap {
	st := ci.Status
	v := Swap{Kind: "CanaryIntake", Namespace: ci.Namespace, Name: ci.Name, Phase: orDefault(st.Phase, "Pending"),
		From: ci.Spec.StableMember, To: ci.Spec.Canary.ClusterName, Version: ci.Spec.Canary.KubernetesVersion, Message: st.Message}
	if st.Stable != nil {
		v.From = st.Stable.Name
	}
	if st.Traffic != nil {
		v.Weights = st.Traffic.Applied
	}
	if i := int(st.CurrentStep); i < len(st.Steps) && st.Phase != "" {
		v.Step = fmt.Sprintf("%d/%d: %d%%", i+1, len(st.Steps), st.Steps[i].Weight)
	}
	cmd := func(verb string) string { return "upshift canary " + verb + " " + ci.Name + ns(ci.Namespace) }
	switch v.Phase {
	case v1alpha1.CanaryPaused, v1alpha1.CanaryProgressing:
		v.Commands = []string{cmd("promote"), cmd("abort")}
	case v1alpha1.CanaryPromoted:
		v.Commands = []string{cmd("abort"), cmd("finish")}
	case v1alpha1.CanaryAborted, v1alpha1.CanaryFailed:
		v.Commands = []string{cmd("finish")}
	case v1alpha1.CanaryAborting, v1alpha1.CanaryFinishing, v1alpha1.CanaryFinished:
	default:
		v.Commands = []string{cmd("abort")}
	}
	return v
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
