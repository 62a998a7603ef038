package aks

import "testing"

// FuzzParseClusterRef: any name is parsed or refused, never a panic, and a
// parsed reference reads back the same from its aks:// form.
//
//	go test ./internal/provider/aks -run '^$' -fuzz FuzzParseClusterRef -fuzztime 30s
func FuzzParseClusterRef(f *testing.F) {
	for _, s := range []string{"blue", "rg/blue", "aks://sub/rg/blue", "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/blue",
		"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/dnszones/z", "aks://a/b", "a/b/c", " blue ", "-x-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ref, err := ParseClusterRef(s, "sub", "rg")
		if err != nil {
			return
		}
		again, err := ParseClusterRef(ref.String(), "", "")
		if err != nil || again != ref {
			t.Fatalf("%q parsed as %+v, whose %q reads back as %+v, %v", s, ref, ref.String(), again, err)
		}
	})
}
