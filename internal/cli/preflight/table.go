package preflight

import (
	"fmt"
	"strings"

	"upshift.dev/upshift/internal/cli/cmdutil"
	pf "upshift.dev/upshift/internal/preflight"
)

// printTable writes the report grouped by severity and check: a heading per
// check, then each object with its message, fix and sources.
//
//	Preflight for Kubernetes 1.37.2: 1 error, 0 warnings, 0 infos
//
//	ERROR api-removed (1)
//	  Ingress default/web (extensions/v1beta1)
//	    extensions/v1beta1 Ingress is not served by Kubernetes 1.37 (...)
//	    fix:  change apiVersion to networking.k8s.io/v1 ...
//	    from: file:k8s/web.yaml#1, helm:web/default
func printTable(io *cmdutil.IOStreams, r pf.Report, checks pf.CheckSet) error {
	w := io.Out
	s := r.Summary
	fmt.Fprintf(w, "Preflight for Kubernetes %s: %s, %s, %s\n", r.TargetVersion,
		plural(s.Errors, "error"), plural(s.Warnings, "warning"), plural(s.Infos, "info"))
	if len(r.Findings) == 0 {
		fmt.Fprintf(w, "\nNothing found by the %s checks.\n", strings.ReplaceAll(checks.String(), ",", ", "))
		return nil
	}
	for i := 0; i < len(r.Findings); {
		j := i
		for j < len(r.Findings) && r.Findings[j].Check == r.Findings[i].Check && r.Findings[j].Severity == r.Findings[i].Severity {
			j++
		}
		fmt.Fprintf(w, "\n%s %s (%d)\n", strings.ToUpper(string(r.Findings[i].Severity)), r.Findings[i].Check, j-i)
		for _, f := range r.Findings[i:j] {
			fmt.Fprintf(w, "  %s\n", objectLabel(f))
			fmt.Fprintf(w, "    %s\n", f.Message)
			if f.Fix != "" {
				fmt.Fprintf(w, "    fix:  %s\n", f.Fix)
			}
			fmt.Fprintf(w, "    from: %s\n", strings.Join(f.Sources, ", "))
		}
		i = j
	}
	return nil
}

func objectLabel(f pf.Finding) string {
	if f.Object == (pf.ObjectRef{}) {
		return "(no object)"
	}
	return f.Object.String()
}
