package armserver

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
)

// Profile seeds a Traffic Manager profile, and is what Profile returns.
type Profile struct {
	Subscription, ResourceGroup, Name string
	// RoutingMethod is trafficRoutingMethod; Weighted when empty.
	RoutingMethod string
	// TTL is dnsConfig.ttl in seconds; 60 when zero.
	TTL       int
	Endpoints []Endpoint
}

// Endpoint is a Traffic Manager endpoint.
type Endpoint struct {
	// Type is AzureEndpoints (default), ExternalEndpoints or
	// NestedEndpoints.
	Type string
	Name string
	// Target is the FQDN clients are sent to (ExternalEndpoints), and
	// TargetResourceID the Azure resource (AzureEndpoints).
	Target, TargetResourceID string
	// Weight is 1..1000; 1 when zero.
	Weight int
	// Status is Enabled (default) or Disabled.
	Status string
	// ETag is the endpoint's current ETag header value. Ignored when
	// seeding.
	ETag string
}

type profile struct {
	sub, rg, name, method string
	ttl                   int
	endpoints             map[string]*Endpoint
}

// endpointType returns the canonical endpoint type for a path segment or
// seed value, which ARM matches case-insensitively.
func endpointType(s string) (string, bool) {
	for _, t := range []string{"AzureEndpoints", "ExternalEndpoints", "NestedEndpoints"} {
		if strings.EqualFold(s, t) {
			return t, true
		}
	}
	return "", false
}

// AddProfile adds or replaces a Traffic Manager profile.
func (s *Server) AddProfile(p Profile) error {
	if p.Subscription == "" || p.ResourceGroup == "" || p.Name == "" {
		return fmt.Errorf("armserver.Profile needs Subscription, ResourceGroup and Name; got %+v", p)
	}
	pr := &profile{sub: p.Subscription, rg: p.ResourceGroup, name: p.Name, method: or(p.RoutingMethod, "Weighted"), ttl: p.TTL, endpoints: map[string]*Endpoint{}}
	if pr.ttl == 0 {
		pr.ttl = 60
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range p.Endpoints {
		typ, ok := endpointType(or(e.Type, "AzureEndpoints"))
		if !ok {
			return fmt.Errorf("armserver.Endpoint %q: Type %q is invalid; use AzureEndpoints, ExternalEndpoints or NestedEndpoints", e.Name, e.Type)
		}
		e.Type, e.Status, e.ETag = typ, or(e.Status, "Enabled"), s.newID()
		if e.Weight == 0 {
			e.Weight = 1
		}
		if msg := checkEndpoint(&e); msg != "" {
			return fmt.Errorf("armserver.Endpoint %q: %s", e.Name, msg)
		}
		pr.endpoints[key(e.Type, e.Name)] = &e
	}
	s.profiles[key(p.Subscription, p.ResourceGroup, p.Name)] = pr
	return nil
}

// Profile returns the profile as the server holds it now, endpoints sorted
// by type and name.
func (s *Server) Profile(subscription, resourceGroup, name string) (Profile, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	pr := s.profiles[key(subscription, resourceGroup, name)]
	if pr == nil {
		return Profile{}, false
	}
	out := Profile{Subscription: pr.sub, ResourceGroup: pr.rg, Name: pr.name, RoutingMethod: pr.method, TTL: pr.ttl}
	for _, k := range slices.Sorted(maps.Keys(pr.endpoints)) {
		out.Endpoints = append(out.Endpoints, *pr.endpoints[k])
	}
	return out, true
}

type endpointJSON struct {
	ID         string             `json:"id,omitempty"`
	Name       string             `json:"name,omitempty"`
	Type       string             `json:"type,omitempty"`
	Properties *endpointPropsJSON `json:"properties,omitempty"`
}

type endpointPropsJSON struct {
	TargetResourceID      *string `json:"targetResourceId,omitempty"`
	Target                *string `json:"target,omitempty"`
	EndpointStatus        *string `json:"endpointStatus,omitempty"`
	Weight                *int    `json:"weight,omitempty"`
	EndpointMonitorStatus *string `json:"endpointMonitorStatus,omitempty"`
}

func (pr *profile) id() string {
	return fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/trafficManagerProfiles/%s", pr.sub, pr.rg, pr.name)
}

func endpointToJSON(pr *profile, e *Endpoint) endpointJSON {
	lowerFirst := strings.ToLower(e.Type[:1]) + e.Type[1:]
	monitor := "Online"
	if e.Status == "Disabled" {
		monitor = "Disabled"
	}
	props := &endpointPropsJSON{EndpointStatus: ptr(e.Status), Weight: ptr(e.Weight), EndpointMonitorStatus: ptr(monitor)}
	if e.Target != "" {
		props.Target = ptr(e.Target)
	}
	if e.TargetResourceID != "" {
		props.TargetResourceID = ptr(e.TargetResourceID)
	}
	return endpointJSON{
		ID: pr.id() + "/" + lowerFirst + "/" + e.Name, Name: e.Name,
		Type: "Microsoft.Network/trafficManagerProfiles/" + lowerFirst, Properties: props,
	}
}

func (s *Server) lookupProfile(w http.ResponseWriter, c *call) *profile {
	pr := s.profiles[key(c.args[0], c.args[1], c.args[2])]
	if pr == nil {
		notFound(w, "Microsoft.Network/trafficManagerProfiles", c.args[2], c.args[1])
	}
	return pr
}

func (s *Server) getProfile(w http.ResponseWriter, c *call) {
	pr := s.lookupProfile(w, c)
	if pr == nil {
		return
	}
	eps := []endpointJSON{}
	for _, k := range slices.Sorted(maps.Keys(pr.endpoints)) {
		eps = append(eps, endpointToJSON(pr, pr.endpoints[k]))
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"id": pr.id(), "name": pr.name, "type": "Microsoft.Network/trafficManagerProfiles", "location": "global",
		"properties": map[string]any{
			"profileStatus":        "Enabled",
			"trafficRoutingMethod": pr.method,
			"dnsConfig":            map[string]any{"relativeName": strings.ToLower(pr.name), "fqdn": strings.ToLower(pr.name) + ".trafficmanager.net", "ttl": pr.ttl},
			"monitorConfig":        map[string]any{"profileMonitorStatus": "Online", "protocol": "HTTPS", "port": 443, "path": "/healthz", "intervalInSeconds": 30, "timeoutInSeconds": 10, "toleratedNumberOfFailures": 3},
			"endpoints":            eps,
		},
	})
}

// endpointArgs resolves the profile and the endpoint type of the path, or
// writes the error.
func (s *Server) endpointArgs(w http.ResponseWriter, c *call) (*profile, string) {
	pr := s.lookupProfile(w, c)
	if pr == nil {
		return nil, ""
	}
	typ, ok := endpointType(c.args[3])
	if !ok {
		writeError(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("The endpoint type '%s' is invalid; use AzureEndpoints, ExternalEndpoints or NestedEndpoints.", c.args[3]))
		return nil, ""
	}
	return pr, typ
}

func (s *Server) getEndpoint(w http.ResponseWriter, c *call) {
	pr, typ := s.endpointArgs(w, c)
	if pr == nil {
		return
	}
	e := pr.endpoints[key(typ, c.args[4])]
	if e == nil {
		notFound(w, "Microsoft.Network/trafficManagerProfiles/"+typ, pr.name+"/"+c.args[4], pr.rg)
		return
	}
	w.Header().Set("ETag", `"`+e.ETag+`"`)
	writeJSON(w, http.StatusOK, endpointToJSON(pr, e))
}

func (s *Server) putEndpoint(w http.ResponseWriter, c *call) { s.writeEndpoint(w, c, false) }

func (s *Server) patchEndpoint(w http.ResponseWriter, c *call) { s.writeEndpoint(w, c, true) }

// writeEndpoint is PUT (replace, create allowed) or PATCH (merge, the
// endpoint must exist). Traffic Manager answers both synchronously.
func (s *Server) writeEndpoint(w http.ResponseWriter, c *call, patch bool) {
	pr, typ := s.endpointArgs(w, c)
	if pr == nil {
		return
	}
	name := c.args[4]
	old := pr.endpoints[key(typ, name)]
	if patch && old == nil {
		notFound(w, "Microsoft.Network/trafficManagerProfiles/"+typ, pr.name+"/"+name, pr.rg)
		return
	}
	etag := ""
	if old != nil {
		etag = old.ETag
	}
	if !checkPreconditions(w, c.r, etag, old != nil) {
		return
	}
	var in endpointJSON
	if !decode(w, c.body, &in) {
		return
	}
	if in.Properties == nil {
		in.Properties = &endpointPropsJSON{}
	}
	next := Endpoint{Type: typ, Name: name, Weight: 1, Status: "Enabled"}
	if patch {
		next = *old
	}
	in.Properties.apply(&next)
	if msg := checkEndpoint(&next); msg != "" {
		writeError(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("Endpoint '%s': %s", name, msg))
		return
	}
	next.ETag = s.newID()
	pr.endpoints[key(typ, name)] = &next
	w.Header().Set("ETag", `"`+next.ETag+`"`)
	status := http.StatusOK
	if old == nil {
		status = http.StatusCreated
	}
	writeJSON(w, status, endpointToJSON(pr, &next))
}

func (p *endpointPropsJSON) apply(e *Endpoint) {
	if p.Target != nil {
		e.Target = *p.Target
	}
	if p.TargetResourceID != nil {
		e.TargetResourceID = *p.TargetResourceID
	}
	if p.Weight != nil {
		e.Weight = *p.Weight
	}
	if p.EndpointStatus != nil {
		e.Status = *p.EndpointStatus
	}
}

// checkEndpoint validates what Traffic Manager validates.
func checkEndpoint(e *Endpoint) string {
	if e.Weight < 1 || e.Weight > 1000 {
		return fmt.Sprintf("weight %d is invalid: the weight must be an integer between 1 and 1000; to stop sending traffic to an endpoint set endpointStatus to Disabled.", e.Weight)
	}
	if e.Status != "Enabled" && e.Status != "Disabled" {
		return fmt.Sprintf("endpointStatus %q is invalid; use Enabled or Disabled.", e.Status)
	}
	if e.Target == "" && e.TargetResourceID == "" {
		return "target or targetResourceId is required."
	}
	return ""
}
