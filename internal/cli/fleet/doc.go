// Package fleet implements `upshift fleet install|join|list|leave`: putting
// upshift's CRDs on a hub and joining clusters to it as Members.
//
// It also owns how every hub command (fleet, strategy, run, gate) reaches
// the hub: the -n/--namespace flag, the controller-runtime client with
// upshift's scheme, and the translation of the hub's errors into ones that
// name the fix. The run and gate command groups import those helpers so all
// of them say the same thing when, say, the CRDs are not installed.
package fleet
