package cluster

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/kubernetes"

	"upshift.dev/upshift/internal/preflight"
)

const deprecatedMetric = "apiserver_requested_deprecated_apis"

// scanMetric reads GET /metrics as a stream and feeds every series of
// apiserver_requested_deprecated_apis with a non-zero value. Without
// permission to read /metrics the scan goes on and says what it missed.
func scanMetric(ctx context.Context, kube kubernetes.Interface, sink Sink) (int, error) {
	body, err := kube.Discovery().RESTClient().Get().AbsPath("/metrics").Stream(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		fix := "give the credentials get on the non-resource URL /metrics (a ClusterRole with nonResourceURLs: [/metrics])"
		if !apierrors.IsForbidden(err) && !apierrors.IsUnauthorized(err) {
			fix = "check that the API server serves /metrics"
		}
		incomplete(sink, preflight.ObjectRef{}, "cannot read the API server's /metrics", err, fix)
		return 0, nil
	}
	defer body.Close()
	series, err := parseDeprecatedMetric(body)
	if err != nil {
		incomplete(sink, preflight.ObjectRef{}, "cannot read the API server's /metrics", err, "run preflight again")
	}
	for _, s := range series {
		sink.ObserveRequestedAPI(s)
	}
	return len(series), nil
}

// parseDeprecatedMetric reads the Prometheus text format and returns the
// apiserver_requested_deprecated_apis series whose value is not 0.
func parseDeprecatedMetric(r io.Reader) ([]preflight.RequestedAPI, error) {
	var out []preflight.RequestedAPI
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, deprecatedMetric+"{") {
			continue
		}
		labels, value, err := parseSeries(line[len(deprecatedMetric):])
		if err != nil {
			return out, fmt.Errorf("%s: %w", line, err)
		}
		if value == 0 {
			continue
		}
		out = append(out, preflight.RequestedAPI{
			Group: labels["group"], Version: labels["version"], Resource: labels["resource"],
			Subresource: labels["subresource"], RemovedRelease: labels["removed_release"],
		})
	}
	return out, sc.Err()
}

// parseSeries reads `{a="x",b="y"} 1` (with \\, \" and \n escapes).
func parseSeries(s string) (map[string]string, float64, error) {
	if !strings.HasPrefix(s, "{") {
		return nil, 0, fmt.Errorf("want {labels}")
	}
	labels := map[string]string{}
	i := 1
	for {
		for i < len(s) && (s[i] == ',' || s[i] == ' ') {
			i++
		}
		if i >= len(s) {
			return nil, 0, fmt.Errorf("unterminated labels")
		}
		if s[i] == '}' {
			i++
			break
		}
		eq := strings.IndexByte(s[i:], '=')
		if eq < 0 || i+eq+1 >= len(s) || s[i+eq+1] != '"' {
			return nil, 0, fmt.Errorf("want name=\"value\"")
		}
		name := s[i : i+eq]
		i += eq + 2
		var v strings.Builder
		for ; i < len(s) && s[i] != '"'; i++ {
			if s[i] == '\\' && i+1 < len(s) {
				i++
				switch s[i] {
				case 'n':
					v.WriteByte('\n')
				default:
					v.WriteByte(s[i])
				}
				continue
			}
			v.WriteByte(s[i])
		}
		if i >= len(s) {
			return nil, 0, fmt.Errorf("unterminated label value")
		}
		i++ // closing quote
		labels[name] = v.String()
	}
	fields := strings.Fields(s[i:])
	if len(fields) == 0 {
		return nil, 0, fmt.Errorf("no value")
	}
	value, err := strconv.ParseFloat(fields[0], 64)
	if err != nil {
		return nil, 0, fmt.Errorf("value %q: %w", fields[0], err)
	}
	return labels, value, nil
}
