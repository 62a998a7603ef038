// Package hub gives tests a real hub: a kube-apiserver and etcd from the
// toolchain cache (package scratch) with upshift's CRDs and roles installed,
// and a namespace of its own for each test.
//
// One server is started per test binary, on first use, and shared: the
// API server is what the tests exercise, and starting one costs seconds. A
// package that uses it stops it from TestMain:
//
//	func TestMain(m *testing.M) { hub.Main(m) }
//
//	func TestSomething(t *testing.T) {
//		h := hub.Start(t)
//		h.Client.Create(ctx, obj) // obj in h.Namespace
//	}
//
// The server has no controller-manager: namespaces are never deleted and
// garbage is not collected, which is why every test gets a fresh namespace
// instead of cleaning up after itself.
package hub
