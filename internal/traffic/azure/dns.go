package azure

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"upshift.dev/upshift/internal/azure/armclient"
	"upshift.dev/upshift/internal/traffic"
)

// DNSAPIVersion is the Azure DNS REST API the router speaks.
const DNSAPIVersion = "2018-05-01"

// DefaultLowTTL is the TTL the DNS router sets before a cutover.
const DefaultLowTTL = 30 * time.Second

// Metadata keys on the record set: the TTL before the router lowered it, in
// seconds, and when it lowered it (RFC 3339). They outlive the process.
const (
	MetadataOriginalTTL = "upshiftOriginalTtl"
	MetadataLoweredAt   = "upshiftTtlLoweredAt"
)

// DNSConfig names a CNAME record set and the target of each backend.
type DNSConfig struct {
	Subscription  string
	ResourceGroup string
	// Zone is the DNS zone, for example "contoso.com".
	Zone string
	// RecordSet is the CNAME's name relative to the zone, for example "api".
	RecordSet string
	// Targets maps each backend to the host name the CNAME points at to
	// send it all traffic (for example its load balancer's FQDN).
	Targets map[string]string
	// LowTTL is the TTL set before a cutover; DefaultLowTTL when zero.
	LowTTL time.Duration
	// OnWait, when set, is told before the router waits for resolvers to
	// drop the record's old TTL, so the wait is visible (progress output,
	// status). It must not block.
	OnWait func(DNSWait)
}

// DNSWait is a wait the DNS router is about to take.
type DNSWait struct {
	// Reason says why, for people.
	Reason string
	// Duration is how long the router waits from now, and Until when it
	// ends.
	Duration time.Duration
	Until    time.Time
}

// DNS is the azure-dns router. Its memory is the record set itself.
type DNS struct {
	cfg      DNSConfig
	backends []string
	conn     *conn
}

var (
	_ traffic.Router  = (*DNS)(nil)
	_ traffic.Settler = (*DNS)(nil)
)

// NewDNS checks cfg and returns the router.
func NewDNS(cfg DNSConfig, o Options) (*DNS, error) {
	switch {
	case cfg.Subscription == "" || cfg.ResourceGroup == "" || cfg.Zone == "" || cfg.RecordSet == "":
		return nil, errors.New("azure-dns router: set the record set's subscription, resource group, zone and name")
	case len(cfg.Targets) == 0:
		return nil, errors.New("azure-dns router: map each backend to the host name the CNAME points at for it (Targets)")
	case cfg.LowTTL < 0:
		return nil, fmt.Errorf("azure-dns router: LowTTL %v is negative; use 0 for the default of %v", cfg.LowTTL, DefaultLowTTL)
	}
	if cfg.LowTTL == 0 {
		cfg.LowTTL = DefaultLowTTL
	}
	backends := slices.Sorted(maps.Keys(cfg.Targets))
	for _, b := range backends {
		if strings.TrimSpace(cfg.Targets[b]) == "" {
			return nil, fmt.Errorf("azure-dns router: backend %q has no target host name", b)
		}
	}
	c, err := newConn(o)
	if err != nil {
		return nil, err
	}
	return &DNS{cfg: cfg, backends: backends, conn: c}, nil
}

func (d *DNS) path() string {
	return fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/dnsZones/%s/CNAME/%s",
		d.cfg.Subscription, d.cfg.ResourceGroup, d.cfg.Zone, d.cfg.RecordSet)
}

func (d *DNS) name() string {
	return fmt.Sprintf("CNAME record set %s.%s", d.cfg.RecordSet, d.cfg.Zone)
}

// cname is the part of a record set the router reads.
type cname struct {
	etag     string
	ttl      int64
	target   string
	metadata map[string]string
}

func (d *DNS) read(ctx context.Context) (cname, error) {
	resp, err := d.conn.do(ctx, http.MethodGet, d.path(), DNSAPIVersion, nil, "")
	if err != nil {
		return cname{}, armclient.Wrap("read "+d.name(), err)
	}
	return decodeRecord(resp)
}

func decodeRecord(resp response) (cname, error) {
	var r struct {
		Etag       string `json:"etag"`
		Properties struct {
			Metadata    map[string]string `json:"metadata"`
			TTL         int64             `json:"TTL"`
			CNAMERecord *struct {
				Cname string `json:"cname"`
			} `json:"CNAMERecord"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(resp.body, &r); err != nil {
		return cname{}, fmt.Errorf("decode the record set: %w", err)
	}
	out := cname{etag: r.Etag, ttl: r.Properties.TTL, metadata: r.Properties.Metadata}
	if out.etag == "" {
		out.etag = resp.etag
	}
	if r.Properties.CNAMERecord != nil {
		out.target = r.Properties.CNAMERecord.Cname
	}
	return out, nil
}

// patch sends a PATCH of the record set's properties with If-Match etag.
func (d *DNS) patch(ctx context.Context, op, etag string, props map[string]any) (cname, error) {
	resp, err := d.conn.do(ctx, http.MethodPatch, d.path(), DNSAPIVersion, map[string]any{"properties": props}, etag)
	if err != nil {
		return cname{}, err
	}
	return decodeRecord(resp)
}

func sameHost(a, b string) bool {
	return strings.EqualFold(strings.TrimSuffix(a, "."), strings.TrimSuffix(b, "."))
}

// Weights implements traffic.Router: 100 for the backend the CNAME points
// at, 0 for the others.
func (d *DNS) Weights(ctx context.Context) (traffic.Weights, error) {
	r, err := d.read(ctx)
	if err != nil {
		return nil, err
	}
	out := traffic.Weights{}
	found := false
	for _, b := range d.backends {
		out[b] = 0
		if sameHost(r.target, d.cfg.Targets[b]) {
			out[b], found = 100, true
		}
	}
	if !found {
		return nil, fmt.Errorf("%s points at %q, which is no backend's target (%s); point it at one, or fix the router's targets", d.name(), r.target, d.targetList())
	}
	return out, nil
}

func (d *DNS) targetList() string {
	parts := make([]string, len(d.backends))
	for i, b := range d.backends {
		parts[i] = b + "=" + d.cfg.Targets[b]
	}
	return strings.Join(parts, ", ")
}

func seconds(d time.Duration) int64 { return int64((d + time.Second - 1) / time.Second) }

// withoutOurs returns metadata without the router's keys.
func withoutOurs(md map[string]string) map[string]string {
	out := maps.Clone(md)
	if out == nil {
		out = map[string]string{}
	}
	delete(out, MetadataOriginalTTL)
	delete(out, MetadataLoweredAt)
	return out
}

// originalTTL reads the TTL the router saved, if any.
func originalTTL(md map[string]string) (int64, bool) {
	v, ok := md[MetadataOriginalTTL]
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil && n >= 0
}
