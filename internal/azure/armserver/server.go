package armserver

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// API versions the server serves, per resource provider. Requests with
// another api-version get 400 NoRegisteredProviderFound, as from ARM.
const (
	// ContainerServiceAPIVersion is what armcontainerservice/v6 v6.6.0 sends.
	ContainerServiceAPIVersion = "2025-02-01"
	// TrafficManagerAPIVersion is the newest stable Traffic Manager API.
	TrafficManagerAPIVersion = "2022-04-01"
	// DNSAPIVersion is the newest stable Azure DNS API.
	DNSAPIVersion = "2018-05-01"
	// DefaultToken is the bearer token the server accepts when
	// Options.Token is empty.
	DefaultToken = "armserver-local-token"
)

// DefaultVersions are the Kubernetes versions the server's region offers
// when Options.Versions is nil (what `az aks get-versions` would list).
func DefaultVersions() []string {
	return []string{"1.35.4", "1.36.2", "1.36.3", "1.37.1", "1.37.2"}
}

// Options are a Server's settings. The zero value is ready to use.
type Options struct {
	// LROPolls is how many observations (polls of the operation status or
	// Location, or GETs of the resource) a long-running operation takes to
	// end. Zero means 2.
	LROPolls int
	// LRODuration is the least time an operation stays InProgress. Zero
	// means no minimum.
	LRODuration time.Duration
	// PollRetryAfter, when at least a second, is sent as Retry-After (in
	// whole seconds, as ARM does) with accepted operations and InProgress
	// polls. Zero sends none and clients use their own interval.
	PollRetryAfter time.Duration
	// Token is the bearer token the server accepts; DefaultToken when empty.
	Token string
	// Versions are the Kubernetes versions on offer (upgrade profiles and
	// validation); DefaultVersions() when nil.
	Versions []string
	// Now tells the time; time.Now when nil.
	Now func() time.Time
}

// Server is an in-memory ARM endpoint. It is an http.Handler; Start or
// Serve put it behind a TLS listener on loopback. All methods are safe for
// concurrent use.
type Server struct {
	opts Options

	mu       sync.Mutex
	seq      int
	clusters map[string]*cluster
	profiles map[string]*profile
	zones    map[string]bool
	records  map[string]*RecordSet
	ops      map[string]*operation
	faults   faults
	requests []Request

	ts *httptest.Server
}

// New returns a server with no resources.
func New(o Options) *Server {
	if o.LROPolls <= 0 {
		o.LROPolls = 2
	}
	if o.Token == "" {
		o.Token = DefaultToken
	}
	if o.Versions == nil {
		o.Versions = DefaultVersions()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Server{
		opts:     o,
		clusters: map[string]*cluster{},
		profiles: map[string]*profile{},
		zones:    map[string]bool{},
		records:  map[string]*RecordSet{},
		ops:      map[string]*operation{},
	}
}

// maxBody bounds request bodies; ARM's own limit is 4 MiB.
const maxBody = 4 << 20

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	s.mu.Lock()
	defer s.mu.Unlock()
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	defer func() { s.record(r, body, sw.status) }()
	if err != nil || len(body) > maxBody {
		writeError(sw, http.StatusBadRequest, "InvalidRequestContent", "The request content could not be read or exceeds 4 MiB.")
		return
	}
	if !s.authorized(sw, r) {
		return
	}
	if s.injectFault(sw, r) {
		return
	}
	s.route(sw, &call{r: r, body: body, path: splitPath(r.URL.Path), now: s.opts.Now()})
}

// call is one request as the handlers see it.
type call struct {
	r    *http.Request
	body []byte
	path path
	args []string
	now  time.Time
}

func (c *call) apiVersion() string { return c.r.URL.Query().Get("api-version") }

// base is the scheme and host clients used, for absolute polling URLs.
func (c *call) base() string { return "https://" + c.r.Host }

func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	h := r.Header.Get("Authorization")
	if h == "" {
		w.Header().Set("WWW-Authenticate", `Bearer authorization_uri="https://login.microsoftonline.com/common", error="invalid_token", error_description="The authentication failed because of missing 'Authorization' header."`)
		writeError(w, http.StatusUnauthorized, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.")
		return false
	}
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || tok != s.opts.Token {
		writeError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "The access token is invalid.")
		return false
	}
	return true
}

type handler func(s *Server, w http.ResponseWriter, c *call)

type routeEntry struct {
	pattern    string
	apiVersion string
	methods    map[string]handler
}

const (
	csPrefix  = "subscriptions/*/resourcegroups/*/providers/microsoft.containerservice/managedclusters/*"
	tmPrefix  = "subscriptions/*/resourcegroups/*/providers/microsoft.network/trafficmanagerprofiles/*"
	dnsPrefix = "subscriptions/*/resourcegroups/*/providers/microsoft.network/dnszones/*"
	opsPrefix = "subscriptions/*/providers/microsoft.containerservice/locations/*"
)

func routes() []routeEntry {
	cs, tm, dns := ContainerServiceAPIVersion, TrafficManagerAPIVersion, DNSAPIVersion
	return []routeEntry{
		{opsPrefix + "/operations/*", cs, map[string]handler{"GET": (*Server).getOperationStatus}},
		{opsPrefix + "/operationresults/*", cs, map[string]handler{"GET": (*Server).getOperationResult}},
		{csPrefix, cs, map[string]handler{"GET": (*Server).getCluster, "PUT": (*Server).putCluster, "DELETE": (*Server).deleteCluster}},
		{csPrefix + "/upgradeprofiles/default", cs, map[string]handler{"GET": (*Server).getClusterUpgradeProfile}},
		{csPrefix + "/listclusteradmincredential", cs, map[string]handler{"POST": (*Server).listAdminCredential}},
		{csPrefix + "/agentpools", cs, map[string]handler{"GET": (*Server).listPools}},
		{csPrefix + "/agentpools/*", cs, map[string]handler{"GET": (*Server).getPool, "PUT": (*Server).putPool, "DELETE": (*Server).deletePool}},
		{csPrefix + "/agentpools/*/upgradeprofiles/default", cs, map[string]handler{"GET": (*Server).getPoolUpgradeProfile}},
		{csPrefix + "/agentpools/*/upgradenodeimageversion", cs, map[string]handler{"POST": (*Server).upgradeNodeImage}},
		{tmPrefix, tm, map[string]handler{"GET": (*Server).getProfile}},
		{tmPrefix + "/*/*", tm, map[string]handler{"GET": (*Server).getEndpoint, "PUT": (*Server).putEndpoint, "PATCH": (*Server).patchEndpoint}},
		{dnsPrefix + "/*/*", dns, map[string]handler{"GET": (*Server).getRecord, "PUT": (*Server).putRecord, "PATCH": (*Server).patchRecord}},
	}
}

func (s *Server) route(w http.ResponseWriter, c *call) {
	for _, rt := range routes() {
		args, ok := c.path.match(rt.pattern)
		if !ok {
			continue
		}
		if !checkAPIVersion(w, c, rt.apiVersion) {
			return
		}
		h, ok := rt.methods[c.r.Method]
		if !ok {
			writeError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "The requested resource does not support http method '"+c.r.Method+"'.")
			return
		}
		c.args = args
		h(s, w, c)
		return
	}
	writeError(w, http.StatusNotFound, "InvalidResourceType", "The resource type could not be found in the namespace for api version '"+c.apiVersion()+"' (armserver serves managedClusters, agentPools, trafficmanagerprofiles and dnszones CNAME record sets).")
}

func checkAPIVersion(w http.ResponseWriter, c *call, want string) bool {
	got := c.apiVersion()
	if got == "" {
		writeError(w, http.StatusBadRequest, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.")
		return false
	}
	if got != want {
		writeError(w, http.StatusBadRequest, "NoRegisteredProviderFound", "No registered resource provider found for API version '"+got+"'. The supported api-versions are '"+want+"'.")
		return false
	}
	return true
}

// path is a URL path split into segments, with a lower-case copy: ARM
// paths are case-insensitive.
type path struct{ segs, lower []string }

func splitPath(p string) path {
	segs := strings.Split(strings.Trim(p, "/"), "/")
	lower := make([]string, len(segs))
	for i, s := range segs {
		lower[i] = strings.ToLower(s)
	}
	return path{segs: segs, lower: lower}
}

// match reports whether the path fits pattern ("*" matches one segment)
// and returns the segments the stars matched, in their original case.
func (p path) match(pattern string) ([]string, bool) {
	pat := strings.Split(pattern, "/")
	if len(pat) != len(p.lower) {
		return nil, false
	}
	var args []string
	for i, x := range pat {
		switch {
		case x == "*":
			if p.segs[i] == "" {
				return nil, false
			}
			args = append(args, p.segs[i])
		case x != p.lower[i]:
			return nil, false
		}
	}
	return args, true
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}
