package manifest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"
)

// decodeYAML decodes one YAML document and delivers it. Documents holding
// only comments and blanks are skipped without taking an index.
func (s *splitter) decodeYAML(doc []byte, line int) error {
	if isBlank(doc) {
		return nil
	}
	s.index++
	template := helmSource(doc)
	v, err := unmarshalYAML(doc)
	if err != nil {
		return s.emit(Document{Path: s.path, Index: s.index, Line: line, Template: template, Err: fileLines(err, line)})
	}
	if v == nil {
		// Only a "~" or "null": nothing to check, but say so.
		return s.emit(Document{Path: s.path, Index: s.index, Line: line, Template: template,
			Err: fmt.Errorf("document is empty (null), not a Kubernetes object")})
	}
	return s.deliver(v, line, template)
}

// unmarshalYAML decodes with go.yaml.in/yaml/v3 and converts the result to
// JSON types. The decoder has panicked on hostile input in the past; a panic
// becomes an error, so no input crashes the reader.
func unmarshalYAML(doc []byte) (v any, err error) {
	defer func() {
		if r := recover(); r != nil {
			v, err = nil, fmt.Errorf("invalid YAML: the parser failed: %v", r)
		}
	}()
	var raw any
	if err := yaml.Unmarshal(doc, &raw); err != nil {
		return nil, fmt.Errorf("invalid YAML: %s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	return normalize(raw), nil
}

// fileLines rewrites the parser's "line N" (counted from the document's
// start) into the line of the file.
func fileLines(err error, start int) error {
	if start <= 1 {
		return err
	}
	msg := err.Error()
	var b strings.Builder
	for {
		i := strings.Index(msg, "line ")
		if i < 0 {
			b.WriteString(msg)
			break
		}
		j := i + len("line ")
		for j < len(msg) && msg[j] >= '0' && msg[j] <= '9' {
			j++
		}
		b.WriteString(msg[:i+len("line ")])
		if n, convErr := strconv.Atoi(msg[i+len("line ") : j]); convErr == nil {
			b.WriteString(strconv.Itoa(n + start - 1))
		}
		msg = msg[j:]
	}
	return errors.New(b.String())
}

// isBlank reports whether doc holds only white space and comments.
func isBlank(doc []byte) bool {
	for len(doc) > 0 {
		var line []byte
		line, doc, _ = bytes.Cut(doc, []byte("\n"))
		line = bytes.TrimSpace(line)
		if len(line) > 0 && line[0] != '#' && !bytes.Equal(line, []byte("\xef\xbb\xbf")) {
			return false
		}
	}
	return true
}

// helmSource returns the template of a "# Source: chart/templates/x.yaml"
// comment among the document's leading comment lines.
func helmSource(doc []byte) string {
	for len(doc) > 0 {
		var line []byte
		line, doc, _ = bytes.Cut(doc, []byte("\n"))
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		if line[0] != '#' {
			return ""
		}
		if rest, ok := bytes.CutPrefix(line, []byte("# Source: ")); ok {
			return string(bytes.TrimSpace(rest))
		}
	}
	return ""
}

// normalize converts decoded YAML or JSON into the types
// k8s.io/apimachinery's unstructured objects use.
func normalize(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			t[k] = normalize(x)
		}
		return t
	case map[any]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[fmt.Sprint(k)] = normalize(x)
		}
		return m
	case []any:
		for i, x := range t {
			t[i] = normalize(x)
		}
		return t
	case int:
		return int64(t)
	case int64:
		return t
	case uint64:
		if t <= math.MaxInt64 {
			return int64(t)
		}
		return float64(t)
	case float64:
		return t
	case json.Number:
		if i, err := t.Int64(); err == nil {
			return i
		}
		f, _ := t.Float64()
		return f
	case time.Time:
		return t.Format(time.RFC3339)
	case []byte:
		return base64.StdEncoding.EncodeToString(t)
	case string, bool, nil:
		return t
	}
	return fmt.Sprint(v)
}
