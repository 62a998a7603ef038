package manifest

import (
	"bytes"
	"context"
	"fmt"
	"testing"
)

// BenchmarkReadStream decodes a stream of 1,000 Deployments.
func BenchmarkReadStream(b *testing.B) {
	var buf bytes.Buffer
	for i := range 1000 {
		fmt.Fprintf(&buf, "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app-%d, namespace: ns}\nspec:\n  replicas: 3\n  selector: {matchLabels: {app: a}}\n  template:\n    metadata: {labels: {app: a}}\n    spec:\n      containers:\n      - name: c\n        image: nginx\n        readinessProbe: {httpGet: {path: /, port: 80}}\n", i)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for range b.N {
		n := 0
		err := ReadStream(context.Background(), bytes.NewReader(data), "bench", Options{}, func(d Document) error {
			n++
			return d.Err
		})
		if err != nil || n != 1000 {
			b.Fatalf("%d documents, %v", n, err)
		}
	}
	b.ReportMetric(float64(1000*b.N)/b.Elapsed().Seconds(), "objects/s")
}
