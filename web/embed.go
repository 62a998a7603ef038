// Package web holds the dashboard's page, script and style sheet, embedded
// in the binary (package dashboard serves them). They are plain files, no
// build step: the page reads /api/events and draws the hub's state.
package web

import "embed"

// Files are the dashboard's assets under dashboard/.
//
//go:embed dashboard
var Files embed.FS
