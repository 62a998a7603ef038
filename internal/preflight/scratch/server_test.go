package scratch

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"upshift.dev/upshift/internal/toolchain"
)

func TestStartServesAndStops(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	bins, err := toolchain.Cache{}.Ensure(ctx, nil, "1.37.2")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	s, err := Start(ctx, Options{Binaries: bins[0]})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("ready in %s", time.Since(start).Round(time.Millisecond))
	kube, err := kubernetes.NewForConfig(s.Config)
	if err != nil {
		t.Fatal(err)
	}
	v, err := kube.Discovery().ServerVersion()
	if err != nil || v.GitVersion != "v1.37.2" {
		t.Fatalf("version %v, %v", v, err)
	}
	if _, err := kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "scratch-test"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	dir := s.dir
	s.Stop()
	s.Stop()
	if _, err := kube.Discovery().ServerVersion(); err == nil {
		t.Error("server still answers after Stop")
	}
	if dir == "" {
		t.Error("no data dir")
	}
}
