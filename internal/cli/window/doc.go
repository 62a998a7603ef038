// Package window implements `upshift window check|next`: reading an AKS
// maintenance window from a file and saying whether work may start at a
// given instant, and when the next windows open. The semantics live in
// internal/window; this package only reads, prints and maps errors.
package window
