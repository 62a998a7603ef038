// Package buildinfo holds upshift's own version, stamped at link time with
// -ldflags "-X upshift.dev/upshift/internal/buildinfo.Version=...".
package buildinfo

import "runtime/debug"

// Version is upshift's release. "dev" for builds that were not stamped.
var Version = "dev"

// Commit is the VCS revision when the Go toolchain recorded one.
func Commit() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
	}
	return ""
}
