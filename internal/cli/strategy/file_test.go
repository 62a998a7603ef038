package strategy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRead(t *testing.T) {
	spec, name, err := Read(nil, filepath.Join("testdata", "rollout.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if name != "rollout" || spec.MaxAllowedFailures != 1 {
		t.Errorf("name %q, spec %+v", name, spec)
	}
	want := "dev +10m0s -> test [1 gate] -> prod (prod-east, prod-west) [1 gate]"
	if got := Describe(spec); got != want {
		t.Errorf("Describe: %q, want %q", got, want)
	}

	dir := t.TempDir()
	for _, tc := range []struct {
		name, content, want string
	}{
		{"bare spec", "stages:\n- {name: dev, groups: [{name: dev}]}\n", ""},
		{"unknown field", "stages:\n- {name: dev, groups: [{name: dev}], afterStageWaitSeconds: 60}\n", `unknown field "afterStageWaitSeconds"`},
		{"typed typo", "kind: UpdateStrategy\nspec:\n  stagez: []\n", `unknown field "stagez"`},
		{"wrong kind", "apiVersion: upshift.dev/v1alpha1\nkind: UpdateRun\nspec: {}\n", "want kind UpdateStrategy"},
		{"no stages", "maxAllowedFailures: 1\n", "stages: at least one stage is required"},
		{"stage name", "stages:\n- {name: Dev, groups: [{name: dev}]}\n", `stages[0].name "Dev": use 1-50 lowercase letters`},
		{"twice", "stages:\n- {name: dev, groups: [{name: a}]}\n- {name: dev, groups: [{name: b}]}\n", `stages[1].name: stage "dev" is used twice`},
		{"group twice", "stages:\n- {name: dev, groups: [{name: a}]}\n- {name: prod, groups: [{name: a}]}\n", `stages[1].groups[0]: group "a" is in the strategy twice`},
		{"no groups", "stages:\n- {name: dev}\n", `stages[0].groups: stage "dev" has no groups`},
		{"concurrency", "stages:\n- {name: dev, groups: [{name: a, maxConcurrency: \"0\"}]}\n", `stages[0].groups[0].maxConcurrency "0"`},
		{"percent", "stages:\n- {name: dev, maxConcurrency: \"101%\", groups: [{name: a}]}\n", `stages[0].maxConcurrency "101%"`},
		{"gate type", "stages:\n- {name: dev, groups: [{name: a}], afterGates: [{type: Manual}]}\n", `stages[0].afterGates[0]: type "Manual": use Approval, ScheduledStart or Validation`},
		{"scheduled", "stages:\n- {name: dev, groups: [{name: a}], beforeGates: [{type: ScheduledStart}]}\n", "stages[0].beforeGates[0]: type ScheduledStart needs scheduledStart.time"},
		{"validation", "stages:\n- {name: dev, groups: [{name: a}], afterGates: [{type: Validation}]}\n", "type Validation needs validation.metrics"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, "s.yaml")
			if err := os.WriteFile(p, []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, _, err := Read(nil, p)
			if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
}
