package hub

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"upshift.dev/upshift/api/v1alpha1"
	"upshift.dev/upshift/internal/controller"
	"upshift.dev/upshift/internal/preflight/scratch"
	"upshift.dev/upshift/internal/toolchain"
)

// Hub is a test's view of the shared hub.
type Hub struct {
	// Config reaches the API server as a cluster admin.
	Config *rest.Config
	// Client reads and writes upshift's and Kubernetes' types, uncached.
	Client client.Client
	// Namespace is this test's own, created for it.
	Namespace string
}

var (
	mu       sync.Mutex
	inMain   bool
	server   *scratch.Server
	startErr error
	serial   atomic.Int64
)

// Main runs the package's tests and stops the shared server afterwards.
// Call it from TestMain.
func Main(m *testing.M) {
	mu.Lock()
	inMain = true
	mu.Unlock()
	code := m.Run()
	mu.Lock()
	if server != nil {
		server.Stop()
	}
	mu.Unlock()
	os.Exit(code)
}

// Scheme holds the Kubernetes and upshift types the Client knows.
func Scheme() *runtime.Scheme {
	s := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(s)
	_ = v1alpha1.AddToScheme(s)
	return s
}

// Start returns the shared hub, starting it on first use, with a new
// namespace for the calling test.
func Start(t testing.TB) *Hub {
	t.Helper()
	srv, err := shared(t)
	if err != nil {
		t.Fatalf("hub: %v", err)
	}
	c, err := client.New(srv.Config, client.Options{Scheme: Scheme()})
	if err != nil {
		t.Fatalf("hub: %v", err)
	}
	name := namespaceFor(t.Name(), serial.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}); err != nil {
		t.Fatalf("hub: namespace %s: %v", name, err)
	}
	return &Hub{Config: rest.CopyConfig(srv.Config), Client: c, Namespace: name}
}

func shared(t testing.TB) (*scratch.Server, error) {
	mu.Lock()
	defer mu.Unlock()
	if !inMain {
		return nil, fmt.Errorf("the package has no TestMain that calls hub.Main, so the shared API server would outlive its tests; add: func TestMain(m *testing.M) { hub.Main(m) }")
	}
	if server != nil || startErr != nil {
		return server, startErr
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	begin := time.Now()
	v := toolchain.KubernetesVersions[len(toolchain.KubernetesVersions)-1]
	bins, err := toolchain.Cache{}.Ensure(ctx, func(p toolchain.Progress) {
		if p.Phase != toolchain.PhaseCached && p.Phase != toolchain.PhaseCompiling {
			t.Logf("toolchain: %s %s (%s)", p.Component, p.Phase, time.Since(begin).Round(time.Second))
		}
	}, v)
	if err != nil {
		startErr = fmt.Errorf("toolchain: %w", err)
		return nil, startErr
	}
	srv, err := scratch.Start(ctx, scratch.Options{Binaries: bins[0]})
	if err != nil {
		startErr = err
		return nil, err
	}
	if err := controller.Install(ctx, srv.Config); err != nil {
		srv.Stop()
		startErr = err
		return nil, err
	}
	t.Logf("hub: kube-apiserver %s with upshift's CRDs ready in %s", srv.Version, time.Since(begin).Round(time.Millisecond))
	server = srv
	return server, nil
}

// namespaceFor makes a DNS label from a test name, unique within the
// binary.
func namespaceFor(test string, n int64) string {
	var b strings.Builder
	for _, r := range strings.ToLower(test) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	base := strings.Trim(b.String(), "-")
	if len(base) > 50 {
		base = strings.TrimRight(base[:50], "-")
	}
	if base == "" {
		base = "test"
	}
	return fmt.Sprintf("%s-%d", base, n)
}

// Seed creates objects in the test's namespace with the status they carry,
// as if a controller had written it: a real API server drops status on
// create, so it is written afterwards through the status subresource. The
// objects are refreshed from the server.
func (h *Hub) Seed(t testing.TB, objs ...client.Object) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, o := range objs {
		if namespaced, err := h.Client.IsObjectNamespaced(o); err == nil && namespaced {
			o.SetNamespace(h.Namespace)
		}
		withStatus := o.DeepCopyObject().(client.Object)
		if err := h.Client.Create(ctx, o); err != nil {
			t.Fatalf("hub: create %T %s: %v", o, o.GetName(), err)
		}
		withStatus.SetResourceVersion(o.GetResourceVersion())
		withStatus.SetGeneration(o.GetGeneration())
		err := h.Client.Status().Update(ctx, withStatus)
		if err != nil && !apierrors.IsNotFound(err) { // NotFound: the type has no status subresource
			t.Fatalf("hub: status of %T %s: %v", o, o.GetName(), err)
		}
		if err := h.Client.Get(ctx, client.ObjectKeyFromObject(o), o); err != nil {
			t.Fatalf("hub: get %T %s: %v", o, o.GetName(), err)
		}
	}
}
