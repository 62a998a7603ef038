package apply

import "testing"

// FuzzDecode: a manifest bundle that does not decode is an error, never a
// panic, and every object decoded has an apiVersion and a kind.
//
//	go test ./internal/apply -run '^$' -fuzz FuzzDecode -fuzztime 30s
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		"apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: shop}\n",
		`{"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}}]}`,
		"---\n---\n", "kind: X\n", "apiVersion: v1\nkind: List\nitems: [{}]\n", "a: [",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		objs, err := Decode(data)
		if err != nil {
			return
		}
		for i, o := range objs {
			if o.GetAPIVersion() == "" || o.GetKind() == "" {
				t.Fatalf("object %d has no apiVersion or kind: %v", i, o.Object)
			}
		}
	})
}
