// Package strategy implements `upshift strategy create|list|delete` and
// reads strategy files for them and for `upshift run create
// --strategy-file`, checking a strategy where it is written instead of
// letting a typo fail a run minutes later.
package strategy
