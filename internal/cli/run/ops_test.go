package run

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"upshift.dev/upshift/api/v1alpha1"
	"upshift.dev/upshift/internal/cli/cmdutil"
	fleetcmd "upshift.dev/upshift/internal/cli/fleet"
	"upshift.dev/upshift/internal/testenv/hub"
)

// hubWith is a real API server holding the given runs, with their status,
// in a namespace of the test's own, for the checks the commands make
// before they write; the whole fleet is in e2e_test.go.
func hubWith(t *testing.T, runs ...*v1alpha1.UpdateRun) (func() (client.Client, error), string) {
	h := hub.Start(t)
	for _, r := range runs {
		h.Seed(t, r)
	}
	return func() (client.Client, error) { return h.Client, nil }, h.Namespace
}

func TestCreateFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"r", "--kubernetes-version", "1.37.2"}, "give exactly one of --strategy and --strategy-file"},
		{[]string{"r", "--strategy", "s", "--strategy-file", "f", "--kubernetes-version", "1.37.2"}, "give exactly one of --strategy and --strategy-file"},
		{[]string{"r", "--strategy", "s"}, "give --kubernetes-version for a Full upgrade, or --type NodeImageOnly"},
		{[]string{"r", "--strategy", "s", "--type", "ControlPlaneOnly"}, "--kubernetes-version is required for Full and ControlPlaneOnly upgrades"},
		{[]string{"r", "--strategy", "s", "--type", "NodeImageOnly", "--kubernetes-version", "1.37.2"}, "--kubernetes-version must be empty for NodeImageOnly"},
		{[]string{"r", "--strategy", "s", "--type", "Partial", "--kubernetes-version", "1.37.2"}, `--type "Partial": use Full, ControlPlaneOnly or NodeImageOnly`},
		{[]string{"r", "--strategy", "s", "--kubernetes-version", "latest"}, "--kubernetes-version:"},
		{[]string{"r", "--strategy", "s", "--kubernetes-version", "1.37.2", "--node-image-selection", "Newest"}, `--node-image-selection "Newest": use Latest or Consistent`},
		{[]string{"-f", "run.yaml", "--strategy", "s"}, "--strategy cannot be combined with it"},
		{[]string{"--strategy", "s", "--kubernetes-version", "1.37.2"}, "give the run a NAME"},
		{[]string{"r", "--strategy", "s", "--type", "NodeImageOnly"}, ""},
		{[]string{"r", "--strategy", "s", "--kubernetes-version", "1.37.2", "--start"}, ""},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			ios, _, _, _ := cmdutil.Test()
			var got *CreateOptions
			cmd := newCmdCreate(&cmdutil.Factory{IO: ios}, func(o *CreateOptions) error { got = o; return nil })
			cmd.SetArgs(tc.args)
			cmd.SetOut(ios.Out)
			cmd.SetErr(ios.ErrOut)
			err := cmd.Execute()
			if tc.want == "" {
				if err != nil || got == nil {
					t.Fatalf("got %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
			if cmdutil.ExitCode(err) != cmdutil.ExitFailure {
				t.Errorf("exit %d", cmdutil.ExitCode(err))
			}
		})
	}
}

func TestCreateFromFile(t *testing.T) {
	dir := t.TempDir()
	file := func(content string) string {
		p := filepath.Join(dir, "run.yaml")
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		name, content, want string
	}{
		{"ok", "apiVersion: upshift.dev/v1alpha1\nkind: UpdateRun\nmetadata: {name: r, namespace: upshift-system, resourceVersion: \"12\"}\nspec: {updateStrategyName: s, upgrade: {kubernetesVersion: 1.37.2}}\n", ""},
		{"typo", "apiVersion: upshift.dev/v1alpha1\nkind: UpdateRun\nmetadata: {name: r}\nspec: {updateStrategyName: s, upgrade: {kubernetesVerison: 1.37.2}}\n", `unknown field "kubernetesVerison"`},
		{"kind", "apiVersion: upshift.dev/v1alpha1\nkind: UpdateStrategy\nmetadata: {name: r}\n", "want kind UpdateRun"},
		{"no strategy", "kind: UpdateRun\nmetadata: {name: r}\nspec: {upgrade: {kubernetesVersion: 1.37.2}}\n", "give exactly one of spec.updateStrategyName and spec.strategy"},
		{"bad inline", "kind: UpdateRun\nmetadata: {name: r}\nspec: {strategy: {stages: [{name: dev, groups: [{name: a}]}, {name: prod, groups: [{name: a}]}]}, upgrade: {kubernetesVersion: 1.37.2}}\n",
			`spec.strategy.stages[1].groups[0]: group "a" is in the strategy twice`},
		{"namespace", "kind: UpdateRun\nmetadata: {name: r, namespace: other}\nspec: {updateStrategyName: s, upgrade: {kubernetesVersion: 1.37.2}}\n", "is for namespace other but -n says upshift-system"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ios, _, _, _ := cmdutil.Test()
			o := &CreateOptions{IO: ios, File: file(tc.content), Namespace: fleetcmd.DefaultNamespace, NamespaceSet: true, Start: true}
			run, err := o.build()
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("got %v, want %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if run.ResourceVersion != "" || run.Spec.State != v1alpha1.RunStart || run.Spec.Upgrade.Type != v1alpha1.UpgradeFull {
				t.Errorf("run from file: %+v", run)
			}
		})
	}
}

func TestSkipChecks(t *testing.T) {
	for _, tc := range []struct {
		target     v1alpha1.SkipTarget
		want, note string
	}{
		{v1alpha1.SkipTarget{Type: v1alpha1.SkipMember, Name: "test-3"}, "", ""},
		{v1alpha1.SkipTarget{Type: v1alpha1.SkipMember, Name: "test-2"}, "", "is upgrading now; it finishes"},
		{v1alpha1.SkipTarget{Type: v1alpha1.SkipMember, Name: "dev-1"}, `member "dev-1" of update run "to-1.37" is already Completed; nothing to skip`, ""},
		{v1alpha1.SkipTarget{Type: v1alpha1.SkipMember, Name: "test-1"}, "already Failed; skipping does not undo that; retry it with 'upshift run retry to-1.37 --member test-1'", ""},
		{v1alpha1.SkipTarget{Type: v1alpha1.SkipMember, Name: "qa-1"}, `update run "to-1.37" has no member "qa-1"; its members: dev-1, test-1, test-2, test-3, test-4, prod-east-1, prod-west-1`, ""},
		{v1alpha1.SkipTarget{Type: v1alpha1.SkipGroup, Name: "prod-west"}, "", ""},
		{v1alpha1.SkipTarget{Type: v1alpha1.SkipStage, Name: "qa"}, `update run "to-1.37" has no stage "qa"; its stages: dev, test, prod`, ""},
		{v1alpha1.SkipTarget{Type: v1alpha1.SkipAfterStageWait, Name: "test"}, "", ""},
		{v1alpha1.SkipTarget{Type: v1alpha1.SkipAfterStageWait, Name: "prod"}, `stage "prod" of update run "to-1.37" has no after-stage wait`, ""},
	} {
		t.Run(tc.target.Type+"/"+tc.target.Name, func(t *testing.T) {
			note, err := checkSkip(context.Background(), nil, running(), tc.target)
			if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
			if !strings.Contains(note, tc.note) || (tc.note == "" && note != "") {
				t.Errorf("note %q, want %q", note, tc.note)
			}
		})
	}
}

// TestEdits checks what start, stop, skip and retry write, and what they
// refuse, against runs in various states.
func TestEdits(t *testing.T) {
	ctx := context.Background()
	// A server sets generation 1 on create: the controller has seen it.
	run := running()
	run.Status.ObservedGeneration = 1
	completed := running()
	completed.Name, completed.Status.State, completed.Status.ObservedGeneration = "done", v1alpha1.StateCompleted, 1
	hub, ns := hubWith(t, run, completed)
	ios, _, out, _ := cmdutil.Test()

	err := stateRun(ctx, &StateOptions{IO: ios, Client: hub, Namespace: ns, Name: "done", State: v1alpha1.RunStop})
	if err == nil || err.Error() != `update run "done" is already Completed; nothing to stop` {
		t.Errorf("stop a completed run: %v", err)
	}
	err = stateRun(ctx, &StateOptions{IO: ios, Client: hub, Namespace: ns, Name: "gone", State: v1alpha1.RunStart})
	if err == nil || err.Error() != `update run "gone" not found in namespace `+ns+`; list runs with 'upshift run list -n `+ns+`'` {
		t.Errorf("start a run that does not exist: %v", err)
	}
	if err := stateRun(ctx, &StateOptions{IO: ios, Client: hub, Namespace: ns, Name: "to-1.37", State: v1alpha1.RunStart}); err != nil ||
		!strings.Contains(out.String(), `was already asked to start (it is Running)`) {
		t.Errorf("start a started run: %v %s", err, out)
	}
	if err := stateRun(ctx, &StateOptions{IO: ios, Client: hub, Namespace: ns, Name: "to-1.37", State: v1alpha1.RunStop}); err != nil {
		t.Fatal(err)
	}

	retry := &RetryOptions{IO: ios, Client: hub, Namespace: ns, Name: "to-1.37", Member: "test-1"}
	for range 2 { // the second asks again before the controller acted: no new entry
		if err := retryRun(ctx, retry); err != nil {
			t.Fatal(err)
		}
	}
	retry.Member = "test-3"
	if err := retryRun(ctx, retry); err == nil || !strings.Contains(err.Error(), `member "test-3" of update run "to-1.37" is Pending, not Failed`) {
		t.Errorf("retry a pending member: %v", err)
	}
	skip := &SkipOptions{IO: ios, Client: hub, Namespace: ns, Name: "to-1.37", AfterStageWait: "test"}
	for range 2 {
		if err := skipRun(ctx, skip); err != nil {
			t.Fatal(err)
		}
	}
	if !strings.Contains(out.String(), `Update run "to-1.37" already skips after-stage wait of stage "test"`) {
		t.Errorf("skipping twice printed:\n%s", out)
	}

	c, _ := hub()
	run, err = get(ctx, c, ns, "to-1.37")
	if err != nil {
		t.Fatal(err)
	}
	if run.Spec.State != v1alpha1.RunStop {
		t.Errorf("spec.state %q after stop", run.Spec.State)
	}
	if want := []v1alpha1.MemberRetry{{Member: "test-1", Attempt: 3}}; len(run.Spec.Retries) != 1 || run.Spec.Retries[0] != want[0] {
		t.Errorf("spec.retries %+v, want %+v (test-1 failed attempt 2)", run.Spec.Retries, want)
	}
	if want := (v1alpha1.SkipTarget{Type: v1alpha1.SkipAfterStageWait, Name: "test"}); len(run.Spec.Skip) != 1 || run.Spec.Skip[0] != want {
		t.Errorf("spec.skip %+v", run.Spec.Skip)
	}
}
