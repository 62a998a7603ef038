package manifest

import (
	"fmt"
	"strings"
)

// Document is one document of a manifest.
type Document struct {
	// Path is the file the document came from, "-" for standard input, or
	// the name given to ReadStream.
	Path string
	// Index is the document's 1-based position among the non-empty
	// documents of its file (documents holding only comments or blanks are
	// not counted).
	Index int
	// Item is the 1-based position of the object in the items of a List
	// document, and 0 for a document that is not a List.
	Item int
	// Line is the 1-based line where the document starts, 0 when unknown
	// (JSON values after the first).
	Line int
	// Template is the template path of rendered Helm output, from the
	// "# Source: chart/templates/x.yaml" comment that starts the document.
	Template string
	// Object is the decoded object, with JSON types only: map[string]any,
	// []any, string, int64, float64, bool and nil. Nil when Err is set.
	Object map[string]any
	// Err says why the document could not be read. The reader continues
	// with the next document.
	Err error
}

// Ref renders where the document is, "path#index" (with ".item" inside a
// List), for messages and finding sources.
func (d Document) Ref() string {
	s := fmt.Sprintf("%s#%d", d.Path, d.Index)
	if d.Item > 0 {
		s += fmt.Sprintf(".%d", d.Item)
	}
	return s
}

// APIVersion returns the object's apiVersion, or "".
func (d Document) APIVersion() string { return str(d.Object, "apiVersion") }

// Kind returns the object's kind, or "".
func (d Document) Kind() string { return str(d.Object, "kind") }

func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

// isList reports whether obj is a List: kind "List" (kubectl's), or any kind
// ending in "List" with an items array (the output of `kubectl get -o yaml`
// for one resource type).
func isList(obj map[string]any) bool {
	kind := str(obj, "kind")
	if !strings.HasSuffix(kind, "List") {
		return false
	}
	_, ok := obj["items"].([]any)
	return ok || kind == "List"
}
