package localfleet

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"time"

	"sigs.k8s.io/yaml"
)

//go:embed stages/*.yaml
var stageFiles embed.FS

// Delays shape how long simulated kubelets take. Without them a drain is
// instantaneous and every upgrade looks perfect; with them, evictions,
// PDB budgets and surge timing behave as on real nodes.
type Delays struct {
	// PodStart is the time from scheduling to Ready.
	PodStart time.Duration
	// PodStop is the time from deletion (eviction) to the pod being gone,
	// what a preStop hook and graceful shutdown take on a real node.
	PodStop time.Duration
	// NodeReady is the time from a Node object's creation to Ready, what a
	// new VM takes to boot and join.
	NodeReady time.Duration
}

// Per-object overrides: annotations that kwok reads through each stage's
// durationFrom expression, for example a slow app's pods.
const (
	AnnotationPodStartDelay  = "pod-ready.stage.kwok.x-k8s.io/delay"
	AnnotationPodStopDelay   = "pod-delete.stage.kwok.x-k8s.io/delay"
	AnnotationNodeReadyDelay = "node-initialize.stage.kwok.x-k8s.io/delay"
)

// stageDelays maps each stage to its delay; stages not listed run at once.
func (d Delays) stageDelays() map[string]time.Duration {
	return map[string]time.Duration{
		"node-initialize":              d.NodeReady,
		"pod-create":                   0,
		"pod-init-container-running":   0,
		"pod-init-container-completed": 0,
		"pod-ready":                    d.PodStart,
		"pod-delete":                   d.PodStop,
	}
}

// kwokctlConfig renders the kwokctl --config file: the component ports and
// the kwok Stage documents. Jitter is removed from every stage: benchmarks
// and tests need repeatable timing.
func kwokctlConfig(d Delays, p Ports) ([]byte, error) {
	names, err := fs.Glob(stageFiles, "stages/*.yaml")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	delays := d.stageDelays()
	var out bytes.Buffer
	opts, err := yaml.Marshal(map[string]any{
		"apiVersion": "config.kwok.x-k8s.io/v1alpha1",
		"kind":       "KwokctlConfiguration",
		"options":    p,
	})
	if err != nil {
		return nil, err
	}
	out.WriteString("---\n")
	out.Write(opts)
	for _, name := range names {
		raw, err := stageFiles.ReadFile(name)
		if err != nil {
			return nil, err
		}
		var obj map[string]any
		if err := yaml.Unmarshal(raw, &obj); err != nil {
			return nil, fmt.Errorf("stage %s: %w", name, err)
		}
		meta, _ := obj["metadata"].(map[string]any)
		spec, _ := obj["spec"].(map[string]any)
		stage, _ := meta["name"].(string)
		if spec == nil || stage == "" {
			return nil, fmt.Errorf("stage %s: missing metadata.name or spec", name)
		}
		if delay, ok := delays[stage]; ok {
			spec["delay"] = map[string]any{
				"durationMilliseconds": delay.Milliseconds(),
				"durationFrom": map[string]any{
					"expressionFrom": fmt.Sprintf(`.metadata.annotations["%s.stage.kwok.x-k8s.io/delay"]`, stage),
				},
			}
		} else if dl, ok := spec["delay"].(map[string]any); ok {
			delete(dl, "jitterDurationMilliseconds")
			delete(dl, "jitterDurationFrom")
		}
		b, err := yaml.Marshal(obj)
		if err != nil {
			return nil, err
		}
		out.WriteString("---\n")
		out.Write(b)
	}
	return out.Bytes(), nil
}
