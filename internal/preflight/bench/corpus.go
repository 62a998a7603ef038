package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
)

// generate writes objects documents over files files, in directories of
// 100 files, and returns the corpus size in bytes. The mix per 10 objects:
// 3 Deployments, 2 Services, 2 ConfigMaps, 1 PodDisruptionBudget, 1 old
// Ingress (extensions/v1beta1, removed) and 1 CronJob (batch/v1, fine, or
// batch/v1beta1, removed, every other time).
func generate(dir string, objects, files int) (int64, error) {
	var size int64
	per := objects / files
	extra := objects % files
	n := 0
	for f := 0; f < files; f++ {
		sub := filepath.Join(dir, fmt.Sprintf("team-%03d", f/100), fmt.Sprintf("app-%04d", f))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			return 0, err
		}
		path := filepath.Join(sub, "manifests.yaml")
		fh, err := os.Create(path)
		if err != nil {
			return 0, err
		}
		w := bufio.NewWriter(fh)
		count := per
		if f < extra {
			count++
		}
		for i := 0; i < count; i++ {
			if i > 0 {
				w.WriteString("---\n")
			}
			writeObject(w, n, f)
			n++
		}
		if err := w.Flush(); err != nil {
			return 0, err
		}
		fi, _ := fh.Stat()
		size += fi.Size()
		fh.Close()
	}
	return size, nil
}

func writeObject(w *bufio.Writer, n, f int) {
	ns := fmt.Sprintf("team-%03d", f/100)
	name := fmt.Sprintf("app-%d", n)
	switch n % 10 {
	case 0, 1, 2:
		fmt.Fprintf(w, `apiVersion: apps/v1
kind: Deployment
metadata:
  name: %[1]s
  namespace: %[2]s
  labels: {app: %[1]s, team: %[2]s}
spec:
  replicas: %[3]d
  selector:
    matchLabels: {app: %[1]s}
  template:
    metadata:
      labels: {app: %[1]s}
    spec:
      terminationGracePeriodSeconds: 30
      containers:
      - name: main
        image: registry.example.com/%[1]s:1.2.3
        ports: [{containerPort: 8080, name: http}]
        resources: {requests: {cpu: 100m, memory: 128Mi}, limits: {memory: 256Mi}}
        readinessProbe: {httpGet: {path: /ready, port: http}, periodSeconds: 5}
        env:
        - {name: LOG_LEVEL, value: info}
        - {name: REGION, value: westeurope}
`, name, ns, 1+n%4)
	case 3, 4:
		fmt.Fprintf(w, `apiVersion: v1
kind: Service
metadata: {name: %s, namespace: %s}
spec:
  selector: {app: app-%d}
  ports: [{name: http, port: 80, targetPort: http}]
`, name, ns, n-3)
	case 5, 6:
		fmt.Fprintf(w, `apiVersion: v1
kind: ConfigMap
metadata: {name: %s, namespace: %s}
data:
  config.yaml: |
    server:
      port: 8080
      timeout: 30s
    features: [a, b, c]
`, name, ns)
	case 7:
		fmt.Fprintf(w, `apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: %s, namespace: %s}
spec:
  minAvailable: %d
  selector: {matchLabels: {app: app-%d}}
`, name, ns, 1+n%3, n-7)
	case 8:
		fmt.Fprintf(w, `apiVersion: extensions/v1beta1
kind: Ingress
metadata: {name: %s, namespace: %s}
spec:
  rules:
  - host: %s.example.com
    http: {paths: [{path: /, backend: {serviceName: app-%d, servicePort: 80}}]}
`, name, ns, name, n-5)
	default:
		av := "batch/v1"
		if n%20 == 9 {
			av = "batch/v1beta1"
		}
		fmt.Fprintf(w, `apiVersion: %s
kind: CronJob
metadata: {name: %s, namespace: %s}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers: [{name: job, image: busybox, command: [sh, -c, date]}]
`, av, name, ns)
	}
}
