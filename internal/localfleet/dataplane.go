package localfleet

import "path/filepath"

// DataPlaneDir is where the fleet's stand-in data plane (package
// traffic/local: the per-cluster ingresses and the weighted gateway) keeps
// its lock, pid file, log, addresses and gateway weights.
func (f *Fleet) DataPlaneDir() string { return filepath.Join(f.dir(), "dataplane") }
