// Package cmdutil is what every upshift command shares: the Factory that hands
// out IO streams, kube clients and a clock; output formats (-o
// table|wide|json|yaml); progress on stderr; and the one place where errors
// become exit codes.
package cmdutil
