// Package bluegreen implements `upshift bluegreen start|status|promote|
// rollback|finish`: the person's side of a BlueGreenUpgrade on the hub.
// start packs the manifests into a ConfigMap and creates the upgrade; the
// controller (package strategy) does the rest, and the other verbs only
// read it or set spec.action.
package bluegreen
