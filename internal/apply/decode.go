package apply

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// Decode reads a multi-document YAML or JSON stream into objects, expanding
// `kind: List`. Empty documents are skipped; a document without apiVersion
// or kind (or a List item without them) is an error naming its index.
func Decode(data []byte) ([]*unstructured.Unstructured, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var out []*unstructured.Unstructured
	for i := 0; ; i++ {
		var raw map[string]any
		if err := dec.Decode(&raw); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		if len(raw) == 0 {
			continue
		}
		obj := &unstructured.Unstructured{Object: raw}
		if obj.GetAPIVersion() == "" || obj.GetKind() == "" {
			return nil, fmt.Errorf("document %d: missing apiVersion or kind", i)
		}
		if obj.IsList() {
			list, err := obj.ToList()
			if err != nil {
				return nil, fmt.Errorf("document %d: %w", i, err)
			}
			for j := range list.Items {
				item := &list.Items[j]
				if item.GetAPIVersion() == "" || item.GetKind() == "" {
					return nil, fmt.Errorf("document %d: items[%d]: missing apiVersion or kind", i, j)
				}
				out = append(out, item)
			}
			continue
		}
		out = append(out, obj)
	}
}
