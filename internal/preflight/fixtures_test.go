package preflight

import (
	"context"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"upshift.dev/upshift/internal/manifest"
	"upshift.dev/upshift/internal/version"
)

const expectPrefix = "expect.upshift.dev/"

// TestCheckFixtures runs every fixture in testdata/checks. Each object may
// carry annotations "expect.upshift.dev/<check-id>: true|false": the check
// must (or must not) report that object. Fixtures hold the flagged cases
// and their near misses side by side.
func TestCheckFixtures(t *testing.T) {
	files, err := filepath.Glob("testdata/checks/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	seenChecks := map[string]bool{}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			e := New(Options{Target: version.MustParse("1.37.2"), DrainTimeout: 30 * time.Minute})
			type expectation struct {
				kind, name, check string
				flagged           bool
			}
			var expects []expectation
			err := manifest.Read(context.Background(), []string{file}, manifest.Options{Workers: 1}, func(d manifest.Document) error {
				if d.Err != nil {
					t.Errorf("fixture %s does not parse: %v", d.Ref(), d.Err)
					return nil
				}
				md, _ := d.Object["metadata"].(map[string]any)
				anns, _ := md["annotations"].(map[string]any)
				for k, v := range anns {
					if check, ok := strings.CutPrefix(k, expectPrefix); ok {
						name, _ := md["name"].(string)
						expects = append(expects, expectation{d.Kind(), name, check, v == "true"})
					}
				}
				e.ObserveDocument(d, Source{Kind: SourceFile})
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(expects) == 0 {
				t.Fatal("fixture has no expectations")
			}
			r := e.Report()
			sort.Slice(expects, func(i, j int) bool { return expects[i].name+expects[i].check < expects[j].name+expects[j].check })
			for _, ex := range expects {
				seenChecks[ex.check] = true
				var found *Finding
				for i, f := range r.Findings {
					if f.Check == ex.check && f.Object.Kind == ex.kind && f.Object.Name == ex.name {
						found = &r.Findings[i]
					}
				}
				switch {
				case ex.flagged && found == nil:
					t.Errorf("%s %s: want %s, not reported", ex.kind, ex.name, ex.check)
				case !ex.flagged && found != nil:
					t.Errorf("%s %s: %s reported, want a near miss: %s", ex.kind, ex.name, ex.check, found.Message)
				case found != nil:
					if found.Message == "" || found.Fix == "" || len(found.Sources) == 0 {
						t.Errorf("%s %s: finding lacks message, fix or sources: %+v", ex.kind, ex.name, *found)
					}
					if !strings.HasPrefix(found.Sources[0], "file:"+file+"#") || len(found.Locations) == 0 {
						t.Errorf("%s %s: sources %v, locations %v; want the fixture file", ex.kind, ex.name, found.Sources, found.Locations)
					}
				}
			}
		})
	}
	for _, c := range Checks() {
		if c.Group == GroupWorkloads || c.ID == CheckAPIRemoved || c.ID == CheckAPIDeprecated {
			if !seenChecks[c.ID] {
				t.Errorf("check %s has no fixture expectations", c.ID)
			}
		}
	}
}
