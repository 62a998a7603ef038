package main

import (
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
)

// requestCounter counts the requests one client sends, by verb and
// resource, so a high total comes with where it goes.
type requestCounter struct {
	mu    sync.Mutex
	total int
	by    map[string]int
}

// wrap is a rest.Config.WrapTransport: it counts every request the client
// sends through rt, whatever its answer.
func (c *requestCounter) wrap(rt http.RoundTripper) http.RoundTripper {
	return roundTripperFunc(func(req *http.Request) (*http.Response, error) {
		c.add(classify(req.Method, req.URL.Path, req.URL.Query().Get("watch") == "true"))
		return rt.RoundTrip(req)
	})
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func (c *requestCounter) add(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.by == nil {
		c.by = map[string]int{}
	}
	c.total++
	c.by[key]++
}

// Total is the number of requests counted so far.
func (c *requestCounter) Total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.total
}

// write prints the breakdown, largest first, ties by name.
func (c *requestCounter) write(w io.Writer, perNode int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	keys := make([]string, 0, len(c.by))
	for k := range c.by {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if c.by[keys[i]] != c.by[keys[j]] {
			return c.by[keys[i]] > c.by[keys[j]]
		}
		return keys[i] < keys[j]
	})
	for _, k := range keys {
		fmt.Fprintf(w, "    %-34s %6d  %6.1f/node\n", k, c.by[k], float64(c.by[k])/float64(max(perNode, 1)))
	}
}

// classify names a request "verb resource[/subresource]" from its method
// and path: GET on a collection is a list (or a watch), on a name a get.
func classify(method, path string, watch bool) string {
	seg := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case len(seg) >= 2 && seg[0] == "api":
		seg = seg[2:] // api/v1
	case len(seg) >= 3 && seg[0] == "apis":
		seg = seg[3:] // apis/group/version
	default:
		return strings.ToLower(method) + " " + path // discovery, /version
	}
	if len(seg) == 0 {
		return strings.ToLower(method) + " " + path // group-version discovery
	}
	if len(seg) > 2 && seg[0] == "namespaces" {
		seg = seg[2:]
	}
	resource, named := seg[0], len(seg) >= 2
	if len(seg) >= 3 {
		resource += "/" + seg[2]
	}
	verb := strings.ToLower(method)
	switch {
	case method == http.MethodGet && watch:
		verb = "watch"
	case method == http.MethodGet && named:
		verb = "get"
	case method == http.MethodGet:
		verb = "list"
	case method == http.MethodPost && strings.HasSuffix(resource, "/eviction"):
		verb = "evict"
	case method == http.MethodPost:
		verb = "create"
	case method == http.MethodPut:
		verb = "update"
	}
	return verb + " " + resource
}
