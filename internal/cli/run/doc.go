// Package run implements `upshift run create|start|stop|skip|retry|delete|
// list|status`: the person's side of fleet update runs. Every command only
// edits the UpdateRun's spec (state, skip, retries) or reads its status;
// the controller does the rest, so the commands work the same against a
// controller that restarts or runs on another machine.
//
// `run status` renders the run as a tree of stages, gates, groups and
// members (tree.go), redrawn in place on a terminal with -w, or as one line
// per change elsewhere (watch.go).
package run
