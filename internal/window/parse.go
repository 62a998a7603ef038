package window

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"
)

// Parse reads a window from YAML or JSON and validates it. It accepts three
// shapes, told apart by their top-level keys:
//
//   - a bare maintenanceWindow (schedule, durationHours, startTime, ...);
//   - an ARM maintenanceConfiguration, the window in
//     properties.maintenanceWindow, as `az aks maintenanceconfiguration
//     add --config-file` takes it and the ARM API returns it;
//   - the output of `az aks maintenanceconfiguration show`, the window in
//     maintenanceWindow at the top.
//
// It is strict: an unknown field, a field spelled in another case (which
// encoding/json would quietly accept but the Kubernetes API server would
// drop), a duplicate key or a value of the wrong type is a Problem naming
// the field by its path in the document. The legacy timeInWeek and
// notAllowedTime of a "default" configuration are refused with the fix. All
// problems come back together in one *InvalidError.
func Parse(data []byte) (*Spec, error) {
	j, err := yaml.YAMLToJSONStrict(data)
	if err != nil {
		// One line: the YAML library spreads a list of errors over several.
		msg := strings.TrimPrefix(err.Error(), "error converting YAML to JSON: ")
		return nil, fmt.Errorf("cannot read maintenance window (YAML or JSON): %s", strings.Join(strings.Fields(msg), " "))
	}
	var doc any
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("cannot read maintenance window (YAML or JSON): %w", err)
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		what := "an empty document"
		if doc != nil {
			what = describe(doc)
		}
		return nil, &InvalidError{Problems: []Problem{{Detail: "got " + what + "; want a maintenanceWindow mapping with schedule, durationHours and startTime"}}}
	}
	var p problems
	prefix, raw := p.unwrap(obj)
	if raw == nil {
		return nil, p.err()
	}
	p.unknownFields(raw, reflect.TypeFor[Spec](), prefix)
	spec := &Spec{}
	if err := p.decode(raw, spec, prefix); err != nil {
		return nil, err
	}
	if len(spec.NotAllowedDates) == 0 {
		spec.NotAllowedDates = nil // one form for "none", as the API server stores it
	}
	if err := spec.Validate(); err != nil {
		var ie *InvalidError
		errors.As(err, &ie)
		for _, q := range ie.Problems {
			p.add(join(prefix, q.Field), q.Detail)
		}
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return spec, nil
}

// unwrap finds the window in obj and returns it with its path, or nil when
// there is none (a problem says why).
func (p *problems) unwrap(obj map[string]any) (prefix string, raw map[string]any) {
	// Top-level keys of the two wrapped shapes, from the ARM
	// MaintenanceConfiguration and what az prints for one.
	armKeys := []string{"id", "name", "properties", "systemData", "type"}
	propsKeys := []string{"maintenanceWindow", "notAllowedTime", "timeInWeek"}
	azKeys := []string{"id", "maintenanceWindow", "name", "notAllowedTime", "resourceGroup", "systemData", "timeInWeek", "type"}
	var mw any
	switch {
	case has(obj, "properties"):
		p.keys(obj, armKeys, "")
		props, ok := obj["properties"].(map[string]any)
		if !ok {
			p.add("properties", "got "+describe(obj["properties"])+"; want a mapping with maintenanceWindow")
			return "", nil
		}
		p.keys(props, propsKeys, "properties")
		p.legacy(props, "properties")
		prefix, mw = "properties.maintenanceWindow", props["maintenanceWindow"]
	case has(obj, "maintenanceWindow"):
		p.keys(obj, azKeys, "")
		p.legacy(obj, "")
		prefix, mw = "maintenanceWindow", obj["maintenanceWindow"]
	default:
		return "", obj
	}
	raw, ok := mw.(map[string]any)
	if !ok {
		if mw == nil {
			p.add(prefix, "required; this configuration has no maintenanceWindow (a legacy default configuration?)")
		} else {
			p.add(prefix, "got "+describe(mw)+"; want a mapping with schedule, durationHours and startTime")
		}
		return "", nil
	}
	return prefix, raw
}

// legacy refuses the pre-2023-05-01 fields of a default configuration.
func (p *problems) legacy(obj map[string]any, prefix string) {
	for _, k := range []string{"notAllowedTime", "timeInWeek"} {
		if v, ok := obj[k]; ok && v != nil && !isEmptyList(v) {
			p.add(join(prefix, k), "legacy default-configuration field, not supported; describe the window in maintenanceWindow (schedule.weekly, startTime, durationHours, notAllowedDates) instead")
		}
	}
}

// decode fills spec from raw. A value of the wrong type is a problem; the
// other problems found so far come with it.
func (p *problems) decode(raw map[string]any, spec *Spec, prefix string) error {
	b, err := json.Marshal(raw)
	if err != nil {
		return fmt.Errorf("cannot read maintenance window: %w", err)
	}
	if err := json.Unmarshal(b, spec); err != nil {
		var te *json.UnmarshalTypeError
		if !errors.As(err, &te) {
			return fmt.Errorf("cannot read maintenance window: %w", err)
		}
		got := te.Value
		if v, ok := lookup(raw, te.Field); ok {
			got = describe(v)
		}
		p.add(join(prefix, te.Field), fmt.Sprintf("got %s, want %s", got, kindName(te.Type)))
		return p.err()
	}
	return nil
}

// unknownFields adds a problem for every key in v that t has no JSON field
// for, recursively. Values of the wrong shape are left to decode.
func (p *problems) unknownFields(v any, t reflect.Type, path string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			return
		}
		fields := map[string]reflect.Type{}
		var names []string
		for f := range t.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			fields[name] = f.Type
			names = append(names, name)
		}
		for _, k := range sortedKeys(m) {
			ft, ok := fields[k]
			if !ok {
				p.unknown(join(path, k), k, names)
				continue
			}
			p.unknownFields(m[k], ft, join(path, k))
		}
	case reflect.Slice:
		l, _ := v.([]any)
		for i, e := range l {
			p.unknownFields(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i))
		}
	}
}

// keys adds a problem for every key of obj not in known.
func (p *problems) keys(obj map[string]any, known []string, path string) {
	for _, k := range sortedKeys(obj) {
		if !slices.Contains(known, k) {
			p.unknown(join(path, k), k, known)
		}
	}
}

func (p *problems) unknown(field, key string, known []string) {
	for _, n := range known {
		if strings.EqualFold(n, key) {
			p.add(field, fmt.Sprintf("unknown field; did you mean %q? (field names are case-sensitive)", n))
			return
		}
	}
	p.add(field, "unknown field; known fields here: "+strings.Join(known, ", "))
}

// problems collects Problems in the order found.
type problems struct{ list []Problem }

func (p *problems) add(field, detail string) {
	p.list = append(p.list, Problem{Field: field, Detail: detail})
}

func (p *problems) err() error {
	if len(p.list) == 0 {
		return nil
	}
	return &InvalidError{Problems: p.list}
}

func has(m map[string]any, k string) bool { _, ok := m[k]; return ok }

func isEmptyList(v any) bool { l, ok := v.([]any); return ok && len(l) == 0 }

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func join(prefix, field string) string {
	switch {
	case prefix == "":
		return field
	case field == "":
		return prefix
	}
	return prefix + "." + field
}

// lookup finds the value at a dotted path of mapping keys, as
// json.UnmarshalTypeError names it; ok is false when the path goes through
// a list.
func lookup(m map[string]any, path string) (v any, ok bool) {
	v = m
	for k := range strings.SplitSeq(path, ".") {
		mm, isMap := v.(map[string]any)
		if !isMap {
			return nil, false
		}
		if v, ok = mm[k]; !ok {
			return nil, false
		}
	}
	return v, true
}

// describe names the JSON kind of v for a message.
func describe(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "a mapping"
	case []any:
		return "a list"
	case string:
		return fmt.Sprintf("the string %q", v)
	case json.Number:
		return "the number " + v.String()
	case bool:
		return fmt.Sprintf("%t", v)
	}
	return fmt.Sprintf("%T", v)
}

func kindName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int32, reflect.Int, reflect.Int64:
		return "an integer"
	case reflect.String:
		return "a string"
	case reflect.Struct, reflect.Pointer, reflect.Map:
		return "a mapping"
	case reflect.Slice:
		return "a list"
	}
	return t.String()
}
