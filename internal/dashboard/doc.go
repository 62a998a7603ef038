// Package dashboard serves upshift's live web dashboard: a page that shows
// a hub's fleet as it changes (update runs stage by stage with their gates,
// blue-green upgrades and canary intakes with their traffic weights,
// members and their versions), with what waits for a person at the top and
// the command for each action (approve, roll back, abort, finish) next to
// it.
//
// A Server reads the hub every Interval (one reader for every browser) and
// publishes a State when it changed: GET /api/state returns the last one as
// JSON, GET /api/events streams it as Server-Sent Events, and / is the page
// (package web's files), which draws each event. The dashboard only reads:
// it has no endpoint that changes anything, so it needs only the hub's
// read permissions and cannot be driven by another site.
package dashboard
