// Command upshift carries Kubernetes clusters through production upgrades.
package main

import (
	"os"

	"upshift.dev/upshift/internal/cli/root"
)

func main() { os.Exit(root.Main()) }
