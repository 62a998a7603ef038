package armserver

import (
	"encoding/json"
	"reflect"
	"strings"
)

// extras are the properties a resource was sent that the server does not
// model (a cluster's networkProfile and addonProfiles, a pool's
// vnetSubnetID and availabilityZones, ...). ARM returns what it was given,
// so they are kept and sent back: a client that clones a cluster from a
// GET sees them, and a test can check that a clone carried them.
type extras map[string]json.RawMessage

// jsonKeys lists the JSON names of a struct type's fields, the ones the
// server models.
func jsonKeys(t reflect.Type, also ...string) map[string]bool {
	out := map[string]bool{}
	for _, k := range also {
		out[strings.ToLower(k)] = true
	}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if f.Anonymous && name == "" {
			for k := range jsonKeys(f.Type) {
				out[k] = true
			}
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[strings.ToLower(name)] = true
	}
	return out
}

// extrasOf returns the members of a JSON object that are not known.
// Property names are case-insensitive in ARM.
func extrasOf(b []byte, known map[string]bool) extras {
	var all map[string]json.RawMessage
	if json.Unmarshal(b, &all) != nil {
		return nil
	}
	var out extras
	for k, v := range all {
		if known[strings.ToLower(k)] {
			continue
		}
		if out == nil {
			out = extras{}
		}
		out[k] = v
	}
	return out
}

// withExtras marshals v, a struct, and adds the extras it does not set.
func withExtras(v any, e extras) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil || len(e) == 0 {
		return b, err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return nil, err
	}
	for k, raw := range e {
		if _, set := all[k]; !set {
			all[k] = raw
		}
	}
	return json.Marshal(all)
}

type (
	clusterPropsFields clusterPropsJSON
	poolPropsFields    poolPropsJSON
)

var (
	clusterPropsKnown = jsonKeys(reflect.TypeFor[clusterPropsFields]())
	poolPropsKnown    = jsonKeys(reflect.TypeFor[poolPropsFields]())
	poolProfileKnown  = jsonKeys(reflect.TypeFor[poolPropsFields](), "name")
)

func (p clusterPropsJSON) MarshalJSON() ([]byte, error) {
	return withExtras(clusterPropsFields(p), p.Extra)
}

func (p *clusterPropsJSON) UnmarshalJSON(b []byte) error {
	var f clusterPropsFields
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	f.Extra = extrasOf(b, clusterPropsKnown)
	*p = clusterPropsJSON(f)
	return nil
}

func (p poolPropsJSON) MarshalJSON() ([]byte, error) {
	return withExtras(poolPropsFields(p), p.Extra)
}

func (p *poolPropsJSON) UnmarshalJSON(b []byte) error {
	var f poolPropsFields
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	f.Extra = extrasOf(b, poolPropsKnown)
	*p = poolPropsJSON(f)
	return nil
}

// A profile in agentPoolProfiles is a pool's properties with its name
// next to them; the embedded type's methods would drop the name.

func (p poolProfileJSON) MarshalJSON() ([]byte, error) {
	e := extras{}
	for k, v := range p.Extra {
		e[k] = v
	}
	name, err := json.Marshal(p.Name)
	if err != nil {
		return nil, err
	}
	e["name"] = name
	return withExtras(poolPropsFields(p.poolPropsJSON), e)
}

func (p *poolProfileJSON) UnmarshalJSON(b []byte) error {
	var named struct {
		Name string `json:"name"`
	}
	if err := json.Unmarshal(b, &named); err != nil {
		return err
	}
	var f poolPropsFields
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	f.Extra = extrasOf(b, poolProfileKnown)
	p.Name, p.poolPropsJSON = named.Name, poolPropsJSON(f)
	return nil
}
