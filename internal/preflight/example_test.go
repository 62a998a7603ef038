package preflight_test

import (
	"context"
	"fmt"
	"strings"

	"upshift.dev/upshift/internal/manifest"
	"upshift.dev/upshift/internal/preflight"
	"upshift.dev/upshift/internal/version"
)

func ExampleEngine() {
	manifests := `apiVersion: policy/v1beta1
kind: PodDisruptionBudget
metadata: {name: db, namespace: shop}
spec:
  minAvailable: 2
  selector: {matchLabels: {app: db}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      affinity: {podAntiAffinity: {requiredDuringSchedulingIgnoredDuringExecution: [{topologyKey: kubernetes.io/hostname, labelSelector: {matchLabels: {app: db}}}]}}
      containers:
      - name: db
        image: postgres:17
        readinessProbe: {exec: {command: [pg_isready]}}
        livenessProbe: {tcpSocket: {port: 5432}}
`
	e := preflight.New(preflight.Options{Target: version.MustParse("1.37.2")})
	_ = manifest.ReadStream(context.Background(), strings.NewReader(manifests), "db.yaml", manifest.Options{}, func(d manifest.Document) error {
		e.ObserveDocument(d, preflight.Source{Kind: preflight.SourceFile})
		return nil
	})
	for _, f := range e.Report().Findings {
		fmt.Println(f.Severity, f.Check, f.Object.Kind, f.Sources)
	}
	// Output:
	// error api-removed PodDisruptionBudget [file:db.yaml#1]
	// error pdb-never-allows-eviction PodDisruptionBudget [file:db.yaml#1]
}
