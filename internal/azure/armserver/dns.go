package armserver

import (
	"fmt"
	"maps"
	"math"
	"net/http"
	"strings"
)

// RecordSet is an Azure DNS CNAME record set, as seeded and as returned.
type RecordSet struct {
	Subscription, ResourceGroup string
	// Zone is the DNS zone name, for example "contoso.com".
	Zone string
	// Name is relative to the zone, for example "api".
	Name string
	// TTL is in seconds.
	TTL int64
	// CNAME is the canonical name the record points at.
	CNAME    string
	Metadata map[string]string
	// ETag is the record set's current etag. Ignored when seeding.
	ETag string
}

// AddZone adds an empty DNS zone.
func (s *Server) AddZone(subscription, resourceGroup, zone string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.zones[key(subscription, resourceGroup, zone)] = true
}

// AddRecordSet adds or replaces a CNAME record set, and its zone.
func (s *Server) AddRecordSet(r RecordSet) error {
	if r.Subscription == "" || r.ResourceGroup == "" || r.Zone == "" || r.Name == "" || r.CNAME == "" {
		return fmt.Errorf("armserver.RecordSet needs Subscription, ResourceGroup, Zone, Name and CNAME; got %+v", r)
	}
	if r.TTL < 0 || r.TTL > math.MaxInt32 {
		return fmt.Errorf("armserver.RecordSet %q: TTL %d is outside 0..%d", r.Name, r.TTL, math.MaxInt32)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.zones[key(r.Subscription, r.ResourceGroup, r.Zone)] = true
	r.Metadata = maps.Clone(r.Metadata)
	r.ETag = s.newID()
	s.records[key(r.Subscription, r.ResourceGroup, r.Zone, r.Name)] = &r
	return nil
}

// RecordSet returns the CNAME record set as the server holds it now.
func (s *Server) RecordSet(subscription, resourceGroup, zone, name string) (RecordSet, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.records[key(subscription, resourceGroup, zone, name)]
	if r == nil {
		return RecordSet{}, false
	}
	out := *r
	out.Metadata = maps.Clone(r.Metadata)
	return out, true
}

type recordJSON struct {
	ID         string           `json:"id,omitempty"`
	Name       string           `json:"name,omitempty"`
	Type       string           `json:"type,omitempty"`
	Etag       string           `json:"etag,omitempty"`
	Properties *recordPropsJSON `json:"properties,omitempty"`
}

type recordPropsJSON struct {
	// Metadata is a pointer so PATCH can tell "absent" from "{}".
	Metadata          *map[string]string `json:"metadata,omitempty"`
	TTL               *int64             `json:"TTL,omitempty"`
	Fqdn              string             `json:"fqdn,omitempty"`
	ProvisioningState string             `json:"provisioningState,omitempty"`
	CNAMERecord       *cnameJSON         `json:"CNAMERecord,omitempty"`
}

type cnameJSON struct {
	Cname string `json:"cname"`
}

func recordToJSON(r *RecordSet) recordJSON {
	md := maps.Clone(r.Metadata)
	if md == nil {
		md = map[string]string{}
	}
	return recordJSON{
		ID:   fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/dnszones/%s/CNAME/%s", r.Subscription, r.ResourceGroup, r.Zone, r.Name),
		Name: r.Name, Type: "Microsoft.Network/dnszones/CNAME", Etag: r.ETag,
		Properties: &recordPropsJSON{
			Metadata: &md, TTL: ptr(r.TTL), Fqdn: r.Name + "." + r.Zone + ".",
			ProvisioningState: "Succeeded", CNAMERecord: &cnameJSON{Cname: r.CNAME},
		},
	}
}

// recordArgs checks the zone and the record type of the path and returns
// the record set's key, or writes the error.
func (s *Server) recordArgs(w http.ResponseWriter, c *call) (string, bool) {
	sub, rg, zone, typ := c.args[0], c.args[1], c.args[2], c.args[3]
	if !s.zones[key(sub, rg, zone)] {
		writeError(w, http.StatusNotFound, "ParentResourceNotFound", fmt.Sprintf("Can not perform requested operation on nested resource. Parent resource '%s' not found.", zone))
		return "", false
	}
	if !strings.EqualFold(typ, "CNAME") {
		writeError(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("Record type '%s' is not served by armserver; it serves CNAME record sets.", typ))
		return "", false
	}
	return key(sub, rg, zone, c.args[4]), true
}

func (s *Server) getRecord(w http.ResponseWriter, c *call) {
	k, ok := s.recordArgs(w, c)
	if !ok {
		return
	}
	r := s.records[k]
	if r == nil {
		notFound(w, "Microsoft.Network/dnszones/CNAME", c.args[2]+"/"+c.args[4], c.args[1])
		return
	}
	w.Header().Set("ETag", r.ETag)
	writeJSON(w, http.StatusOK, recordToJSON(r))
}

func (s *Server) putRecord(w http.ResponseWriter, c *call) { s.writeRecord(w, c, false) }

func (s *Server) patchRecord(w http.ResponseWriter, c *call) { s.writeRecord(w, c, true) }

// writeRecord is PUT (replace or create) or PATCH (merge; the record set
// must exist). Azure DNS answers both synchronously.
func (s *Server) writeRecord(w http.ResponseWriter, c *call, patch bool) {
	k, ok := s.recordArgs(w, c)
	if !ok {
		return
	}
	old := s.records[k]
	if patch && old == nil {
		notFound(w, "Microsoft.Network/dnszones/CNAME", c.args[2]+"/"+c.args[4], c.args[1])
		return
	}
	etag := ""
	if old != nil {
		etag = old.ETag
	}
	if !checkPreconditions(w, c.r, etag, old != nil) {
		return
	}
	var in recordJSON
	if !decode(w, c.body, &in) {
		return
	}
	if in.Properties == nil {
		writeError(w, http.StatusBadRequest, "BadRequest", "The record set's properties are required.")
		return
	}
	next := RecordSet{Subscription: c.args[0], ResourceGroup: c.args[1], Zone: c.args[2], Name: c.args[4], TTL: 3600}
	if patch {
		next = *old
		next.Metadata = maps.Clone(old.Metadata)
	}
	p := in.Properties
	if p.TTL != nil {
		next.TTL = *p.TTL
	}
	if p.Metadata != nil {
		next.Metadata = maps.Clone(*p.Metadata)
	} else if !patch {
		next.Metadata = nil
	}
	if p.CNAMERecord != nil {
		next.CNAME = p.CNAMERecord.Cname
	}
	if next.TTL < 0 || next.TTL > math.MaxInt32 {
		writeError(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("The value %d of TTL is invalid; use 0..%d seconds.", next.TTL, math.MaxInt32))
		return
	}
	if strings.TrimSpace(next.CNAME) == "" {
		writeError(w, http.StatusBadRequest, "BadRequest", "A CNAME record set needs properties.CNAMERecord.cname.")
		return
	}
	next.ETag = s.newID()
	s.records[k] = &next
	status := http.StatusOK
	if old == nil {
		status = http.StatusCreated
	}
	w.Header().Set("ETag", next.ETag)
	writeJSON(w, status, recordToJSON(&next))
}
