// Package config embeds the generated CustomResourceDefinitions and RBAC
// roles, so the upshift binary can install what it needs on a hub cluster
// (upshift fleet install) without a checkout of this repository.
package config

import "embed"

// Files holds crd/*.yaml and rbac/*.yaml.
//
//go:embed crd/*.yaml rbac/*.yaml
var Files embed.FS
