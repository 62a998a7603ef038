package localfleet

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
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

// delaysConfigMap records a cluster's delays in the cluster itself, so any
// process can simulate a reimage with the node-ready delay it was given.
const delaysConfigMap = "upshift-local-delays"

func saveDelays(ctx context.Context, client kubernetes.Interface, d Delays) error {
	b, err := json.Marshal(d)
	if err != nil {
		return err
	}
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: delaysConfigMap, Namespace: metav1.NamespaceSystem},
		Data:       map[string]string{"delays.json": string(b)},
	}
	if _, err := client.CoreV1().ConfigMaps(metav1.NamespaceSystem).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("failed to record the cluster's delays: %w", err)
	}
	return nil
}

func loadDelays(ctx context.Context, client kubernetes.Interface) Delays {
	var d Delays
	cm, err := client.CoreV1().ConfigMaps(metav1.NamespaceSystem).Get(ctx, delaysConfigMap, metav1.GetOptions{})
	if err == nil {
		_ = json.Unmarshal([]byte(cm.Data["delays.json"]), &d)
	}
	return d
}

// Delays returns the delays a cluster was created with, so a cluster made
// in its image (a blue-green swap's green) behaves the same.
func (f *Fleet) Delays(ctx context.Context, cluster string) (Delays, error) {
	client, err := f.Client(cluster)
	if err != nil {
		return Delays{}, err
	}
	return loadDelays(ctx, client), nil
}
