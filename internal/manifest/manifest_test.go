package manifest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

type got struct {
	ref, kind, name, template, err string
	line                           int
}

func collect(t *testing.T, input string, opts Options) []got {
	t.Helper()
	var out []got
	err := ReadStream(context.Background(), strings.NewReader(input), "x.yaml", opts, func(d Document) error {
		g := got{ref: d.Ref(), kind: d.Kind(), template: d.Template, line: d.Line}
		if md, ok := d.Object["metadata"].(map[string]any); ok {
			g.name, _ = md["name"].(string)
		}
		if d.Err != nil {
			g.err = d.Err.Error()
		}
		out = append(out, g)
		return nil
	})
	if err != nil {
		t.Fatalf("ReadStream: %v", err)
	}
	return out
}

func TestReadStream(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  []got
	}{
		{
			name:  "multi-document YAML with blank and comment-only documents",
			input: "---\n# only a comment\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: b\n...\n",
			want: []got{
				{ref: "x.yaml#1", kind: "ConfigMap", name: "a", line: 4},
				{ref: "x.yaml#2", kind: "Secret", name: "b", line: 10},
			},
		},
		{
			name:  "a broken document does not hide the next ones",
			input: "kind: A\nmetadata: {name: a}\n---\nkind: B\n  bad: [indent\n---\nkind: C\nmetadata: {name: c}\n",
			want: []got{
				{ref: "x.yaml#1", kind: "A", name: "a", line: 1},
				{ref: "x.yaml#2", line: 4, err: "invalid YAML"},
				{ref: "x.yaml#3", kind: "C", name: "c", line: 7},
			},
		},
		{
			name:  "scalar and null documents are errors, not objects",
			input: "just a string\n---\n~\n---\n- 1\n",
			want: []got{
				{ref: "x.yaml#1", line: 1, err: "document is a string"},
				{ref: "x.yaml#2", line: 3, err: "document is empty (null)"},
				{ref: "x.yaml#3.1", line: 5, err: "item 1 of the List is a number"},
			},
		},
		{
			name:  "List and typed lists expand to items",
			input: "apiVersion: v1\nkind: List\nitems:\n- {kind: Pod, metadata: {name: p1}}\n- {kind: Pod, metadata: {name: p2}}\n---\nkind: DeploymentList\nitems:\n- {kind: Deployment, metadata: {name: d}}\n",
			want: []got{
				{ref: "x.yaml#1.1", kind: "Pod", name: "p1", line: 1},
				{ref: "x.yaml#1.2", kind: "Pod", name: "p2", line: 1},
				{ref: "x.yaml#2.1", kind: "Deployment", name: "d", line: 7},
			},
		},
		{
			name:  "a kind ending in List without items is an object",
			input: "kind: PodList\nmetadata: {name: x}\n",
			want:  []got{{ref: "x.yaml#1", kind: "PodList", name: "x", line: 1}},
		},
		{
			name: "rendered Helm output keeps the template",
			input: "---\n# Source: web/templates/svc.yaml\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\n" +
				"---\n# Source: web/templates/empty.yaml\n---\n# Source: web/templates/deploy.yaml\nkind: Deployment\nmetadata:\n  name: web\n",
			want: []got{
				{ref: "x.yaml#1", kind: "Service", name: "web", template: "web/templates/svc.yaml", line: 2},
				{ref: "x.yaml#2", kind: "Deployment", name: "web", template: "web/templates/deploy.yaml", line: 10},
			},
		},
		{
			name:  "JSON stream",
			input: "  {\"kind\": \"A\", \"metadata\": {\"name\": \"a\"}}\n{\"kind\": \"B\", \"metadata\": {\"name\": \"b\"}}",
			want: []got{
				{ref: "x.yaml#1", kind: "A", name: "a", line: 1},
				{ref: "x.yaml#2", kind: "B", name: "b"},
			},
		},
		{
			name:  "JSON syntax error ends the stream with an error document",
			input: "{\"kind\": \"A\"}\n{\"kind\": ",
			want: []got{
				{ref: "x.yaml#1", kind: "A", line: 1},
				{ref: "x.yaml#2", err: "invalid JSON"},
			},
		},
		{
			name:  "JSON array reads like a List",
			input: "[{\"kind\": \"A\"}, {\"kind\": \"B\"}]",
			want: []got{
				{ref: "x.yaml#1.1", kind: "A", line: 1},
				{ref: "x.yaml#1.2", kind: "B", line: 1},
			},
		},
		{
			name:  "CRLF, byte order mark and an inline document after the marker",
			input: "\xef\xbb\xbfkind: A\r\n---\r\n--- {kind: B}\r\n---\r\nkind: C\r\n  x: [\r\n",
			want: []got{
				{ref: "x.yaml#1", kind: "A", line: 1},
				{ref: "x.yaml#2", kind: "B", line: 3},
				{ref: "x.yaml#3", line: 5, err: "invalid YAML"},
			},
		},
		{
			name:  "duplicate keys are an error",
			input: "kind: A\nkind: B\n",
			want:  []got{{ref: "x.yaml#1", line: 1, err: "already defined"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := collect(t, tt.input, Options{})
			if len(out) != len(tt.want) {
				t.Fatalf("got %d documents %+v, want %d %+v", len(out), out, len(tt.want), tt.want)
			}
			for i := range out {
				g, w := out[i], tt.want[i]
				if (w.err == "") != (g.err == "") || !strings.Contains(g.err, w.err) {
					t.Errorf("doc %d: err %q, want containing %q", i, g.err, w.err)
				}
				g.err, w.err = "", ""
				if g != w {
					t.Errorf("doc %d: got %+v, want %+v", i, g, w)
				}
			}
		})
	}
}

func TestReadStreamNumbersAreJSONTypes(t *testing.T) {
	var obj map[string]any
	err := ReadStream(context.Background(), strings.NewReader("spec:\n  replicas: 3\n  ratio: 0.5\n  big: 18446744073709551615\n  on: yes\n  date: 2024-01-02\n"), "x", Options{}, func(d Document) error {
		obj = d.Object
		return d.Err
	})
	if err != nil {
		t.Fatal(err)
	}
	spec := obj["spec"].(map[string]any)
	if _, ok := spec["replicas"].(int64); !ok {
		t.Errorf("replicas is %T, want int64", spec["replicas"])
	}
	if _, ok := spec["ratio"].(float64); !ok {
		t.Errorf("ratio is %T, want float64", spec["ratio"])
	}
	if _, ok := spec["big"].(float64); !ok {
		t.Errorf("big is %T, want float64", spec["big"])
	}
	if spec["on"] != "yes" { // YAML 1.2: yes is a string
		t.Errorf("on is %#v", spec["on"])
	}
}

func TestReadStreamLimits(t *testing.T) {
	big := "kind: A\ndata: " + strings.Repeat("x", 2000) + "\n---\nkind: B\n"
	out := collect(t, big, Options{MaxDocumentBytes: 1000})
	if len(out) != 2 || !strings.Contains(out[0].err, "larger than 1000 bytes") || out[1].kind != "B" {
		t.Fatalf("got %+v", out)
	}
}

func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestReadDirectoriesFilesAndStdin(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"a.yaml":             "kind: A\n---\nkind: A2\n",
		"sub/b.yml":          "kind: B\n",
		"sub/deeper/c.json":  `{"kind": "C"}`,
		"sub/notes.txt":      "kind: Ignored\n",
		".git/d.yaml":        "kind: Hidden\n",
		"sub/.hidden.yaml":   "kind: Hidden\n",
		"explicit/notes.txt": "kind: Explicit\n",
	})
	var (
		mu   sync.Mutex
		refs []string
	)
	paths := []string{dir, filepath.Join(dir, "explicit/notes.txt"), "-"}
	err := Read(context.Background(), paths, Options{Workers: 3, Stdin: strings.NewReader("kind: S\n")}, func(d Document) error {
		mu.Lock()
		defer mu.Unlock()
		rel, _ := filepath.Rel(dir, d.Path)
		if d.Path == "-" {
			rel = "-"
		}
		refs = append(refs, rel+"#"+d.Kind())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(refs)
	want := []string{"-#S", "a.yaml#A", "a.yaml#A2", "explicit/notes.txt#Explicit", "sub/b.yml#B", "sub/deeper/c.json#C"}
	if strings.Join(refs, " ") != strings.Join(want, " ") {
		t.Errorf("got %v, want %v", refs, want)
	}
}

func TestReadErrors(t *testing.T) {
	if err := Read(context.Background(), []string{"/does/not/exist.yaml"}, Options{}, func(Document) error { return nil }); err == nil || !strings.Contains(err.Error(), "give an existing file") {
		t.Errorf("missing path: %v", err)
	}
	if err := Read(context.Background(), []string{"-", "-"}, Options{}, func(Document) error { return nil }); err == nil {
		t.Error("stdin twice: want an error")
	}
	dir := writeTree(t, map[string]string{"a.yaml": "kind: A\n---\nkind: B\n", "b.yaml": "kind: C\n"})
	stop := errors.New("stop")
	err := Read(context.Background(), []string{dir}, Options{Workers: 1}, func(Document) error { return stop })
	if !errors.Is(err, stop) {
		t.Errorf("fn error: got %v", err)
	}
}

func FuzzRead(f *testing.F) {
	for _, seed := range []string{
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\nkind: List\nitems: [{kind: Pod}]\n",
		"{\"kind\": \"A\"}[1, 2]",
		"--- {a: 1}\n...\n--- !!binary aGk=\n",
		"a: &x [*x]\n",
		"a: &a [*a, *a]\nb: &b [*a, *a]\nc: [*b, *b]\n",
		"\xef\xbb\xbf---\r\n- !!timestamp 2001-12-14\n",
		"? [a, b]\n: c\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		done := make(chan error, 1)
		go func() {
			done <- ReadStream(context.Background(), strings.NewReader(string(data)), "fuzz", Options{MaxDocumentBytes: 1 << 16}, func(d Document) error {
				if (d.Err == nil) == (d.Object == nil) {
					return fmt.Errorf("document %s: exactly one of Object and Err must be set (err %v)", d.Ref(), d.Err)
				}
				if d.Index < 1 {
					return fmt.Errorf("document index %d", d.Index)
				}
				return nil
			})
		}()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("ReadStream: %v; content problems must be documents", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("ReadStream did not finish within 5s on %d bytes: %q", len(data), data)
		}
	})
}

func TestErrorsNameTheFileLine(t *testing.T) {
	out := collect(t, "kind: A\n---\n# comment\nkind: B\n  bad: [indent\n", Options{})
	if len(out) != 2 || !strings.Contains(out[1].err, "line 5") {
		t.Errorf("got %+v; want the error at line 5 of the file", out)
	}
}
