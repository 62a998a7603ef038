package analysis

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/client-go/util/jsonpath"

	"upshift.dev/upshift/api/v1alpha1"
)

// DefaultWebTimeout bounds one call when the metric sets no timeoutSeconds.
const DefaultWebTimeout = 10 * time.Second

// maxWebBody caps what a web metric reads: an analysis endpoint answers a
// few numbers, not a download.
const maxWebBody = 10 << 20

type webProvider struct {
	client  *http.Client
	method  string
	url     string
	body    string
	timeout time.Duration
	// path is parsed again on each measurement: a jsonpath.JSONPath keeps
	// state while it runs, and an engine may serve several statuses at once.
	path string
}

var _ Provider = (*webProvider)(nil)

func newWebProvider(m *v1alpha1.WebMetric, path *field.Path, client *http.Client) (Provider, field.ErrorList) {
	var errs field.ErrorList
	if u, err := url.Parse(m.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, field.Invalid(path.Child("url"), m.URL, "must be an http or https URL with a host, e.g. http://my-app.prod:8080/healthz"))
	}
	p := &webProvider{method: m.Method, url: m.URL, body: m.Body, timeout: DefaultWebTimeout, path: m.JSONPath}
	switch p.method {
	case "":
		p.method = http.MethodGet
	case http.MethodGet, http.MethodPost, http.MethodPut:
	default:
		errs = append(errs, field.NotSupported(path.Child("method"), m.Method, []string{http.MethodGet, http.MethodPost, http.MethodPut}))
	}
	switch {
	case m.TimeoutSeconds < 0:
		errs = append(errs, field.Invalid(path.Child("timeoutSeconds"), m.TimeoutSeconds, "must be 0 or more; leave it unset for 10"))
	case m.TimeoutSeconds > 0:
		p.timeout = time.Duration(m.TimeoutSeconds) * time.Second
	}
	errs = append(errs, validateHeaders(m.Headers, path.Child("headers"))...)
	if p.path == "" {
		p.path = "{$}"
	}
	if !strings.HasPrefix(strings.TrimSpace(p.path), "{") {
		// kubectl accepts $.a.b for {$.a.b}; so do we.
		p.path = "{" + p.path + "}"
	}
	if _, err := parseJSONPath(p.path); err != nil {
		errs = append(errs, field.Invalid(path.Child("jsonPath"), m.JSONPath, fmt.Sprintf("%v; write it in kubectl's syntax, e.g. {$.data.errorRate}", err)))
	}
	if len(errs) > 0 {
		return nil, errs
	}
	p.client = &http.Client{Transport: withHeaders(client, m.Headers)}
	return p, nil
}

func (p *webProvider) Measure(ctx context.Context, _ time.Time) (Value, error) {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	var body io.Reader
	if p.body != "" {
		body = strings.NewReader(p.body)
	}
	req, err := http.NewRequestWithContext(ctx, p.method, p.url, body)
	if err != nil {
		return Value{}, err
	}
	if p.body != "" && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := p.client.Do(req)
	if err != nil {
		if ctx.Err() == context.DeadlineExceeded {
			return Value{}, fmt.Errorf("%s %s did not answer within %s", p.method, p.url, p.timeout)
		}
		return Value{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxWebBody))
	if err != nil {
		return Value{}, fmt.Errorf("%s %s: reading the answer: %w", p.method, p.url, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return Value{}, fmt.Errorf("%s %s answered %s: %s", p.method, p.url, resp.Status, snippet(data))
	}
	var doc any
	if err := json.Unmarshal(data, &doc); err != nil {
		return Value{}, fmt.Errorf("%s %s answered something that is not JSON (%v): %s", p.method, p.url, err, snippet(data))
	}
	v, err := p.selectValue(doc)
	if err != nil {
		return Value{}, fmt.Errorf("jsonPath %s on the answer of %s: %w", p.path, p.url, err)
	}
	return Value{Result: v}, nil
}

func parseJSONPath(path string) (*jsonpath.JSONPath, error) {
	jp := jsonpath.New("jsonPath").AllowMissingKeys(true)
	return jp, jp.Parse(path)
}

// selectValue applies jsonPath: one match is the value itself (a number,
// string, bool, object or list), several are a list, none (or a missing
// key) is nil, the empty result of doc.go.
func (p *webProvider) selectValue(doc any) (any, error) {
	jp, err := parseJSONPath(p.path)
	if err != nil {
		return nil, err
	}
	found, err := jp.FindResults(doc)
	if err != nil {
		return nil, err
	}
	var vals []any
	for _, set := range found {
		for _, v := range set {
			if v.IsValid() && v.CanInterface() {
				vals = append(vals, v.Interface())
			}
		}
	}
	switch len(vals) {
	case 0:
		return nil, nil
	case 1:
		return vals[0], nil
	}
	return vals, nil
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
