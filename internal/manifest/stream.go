package manifest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// DefaultMaxDocumentBytes is the size limit of one document when
// Options.MaxDocumentBytes is zero.
const DefaultMaxDocumentBytes = 32 << 20

// Options tune a reader. The zero value is ready to use.
type Options struct {
	// Workers is how many files are read at once. GOMAXPROCS when zero.
	Workers int
	// MaxDocumentBytes bounds one document; a larger one is reported as an
	// error document and skipped. DefaultMaxDocumentBytes when zero.
	MaxDocumentBytes int
	// Stdin is what the path "-" reads. An error document when nil.
	Stdin io.Reader
}

func (o Options) maxDoc() int {
	if o.MaxDocumentBytes > 0 {
		return o.MaxDocumentBytes
	}
	return DefaultMaxDocumentBytes
}

// ReadStream reads the documents of one stream in order and calls fn for
// each, from the calling goroutine. path names the stream in documents. It
// returns fn's first error, or ctx's error; problems with the content are
// documents with Err set, never a returned error.
func ReadStream(ctx context.Context, r io.Reader, path string, opts Options, fn func(Document) error) error {
	s := &splitter{r: bufio.NewReaderSize(r, 64<<10), path: path, max: opts.maxDoc(), fn: fn}
	return s.run(ctx)
}

type splitter struct {
	r    *bufio.Reader
	path string
	max  int
	fn   func(Document) error

	index int // non-empty documents so far
	line  int // lines read so far
}

func (s *splitter) run(ctx context.Context) error {
	first, err := s.r.Peek(64)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return s.emit(Document{Path: s.path, Index: 1, Line: 1, Err: fmt.Errorf("cannot read: %w", err)})
	}
	if isJSON(first) {
		return s.readJSON(ctx)
	}
	return s.readYAML(ctx)
}

// isJSON reports whether a stream starts (after a byte order mark and white
// space) with { or [.
func isJSON(b []byte) bool {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	b = bytes.TrimLeft(b, " \t\r\n")
	return len(b) > 0 && (b[0] == '{' || b[0] == '[')
}

func (s *splitter) emit(d Document) error { return s.fn(d) }

// readYAML splits the stream on document markers ("---" or "..." at the
// start of a line; YAML forbids them inside a scalar at column 0) and decodes
// each document on its own, so one broken document does not hide the rest.
func (s *splitter) readYAML(ctx context.Context) error {
	var (
		buf      bytes.Buffer
		start    = 1
		tooLarge bool
	)
	flush := func() error {
		defer func() { buf.Reset(); tooLarge = false }()
		if tooLarge {
			s.index++
			return s.emit(Document{Path: s.path, Index: s.index, Line: start,
				Err: fmt.Errorf("document is larger than %d bytes; split it, or raise the limit", s.max)})
		}
		return s.decodeYAML(buf.Bytes(), start)
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		line, err := s.readLine()
		if len(line) > 0 {
			s.line++
			if marker, rest := documentMarker(line); marker {
				if ferr := flush(); ferr != nil {
					return ferr
				}
				start, line = s.line+1, nil
				if len(bytes.TrimSpace(rest)) > 0 {
					start, line = s.line, rest // "--- {a: 1}" starts a document on the marker line
				}
			}
			if buf.Len()+len(line) > s.max {
				tooLarge = true
			}
			if !tooLarge {
				buf.Write(line)
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				s.index++
				return s.emit(Document{Path: s.path, Index: s.index, Line: s.line, Err: fmt.Errorf("cannot read: %w", err)})
			}
			return flush()
		}
	}
}

// readLine returns the next line with its newline, whatever its length.
func (s *splitter) readLine() ([]byte, error) {
	line, err := s.r.ReadSlice('\n')
	if !errors.Is(err, bufio.ErrBufferFull) {
		return line, err
	}
	long := append([]byte(nil), line...)
	for errors.Is(err, bufio.ErrBufferFull) {
		line, err = s.r.ReadSlice('\n')
		if len(long) <= s.max { // past the limit only the length matters
			long = append(long, line...)
		}
	}
	return long, err
}

// documentMarker reports whether line is "---" or "..." (optionally followed
// by white space and more content), and returns what follows "---".
func documentMarker(line []byte) (bool, []byte) {
	if len(line) < 3 {
		return false, nil
	}
	m := line[:3]
	if !bytes.Equal(m, []byte("---")) && !bytes.Equal(m, []byte("...")) {
		return false, nil
	}
	rest := line[3:]
	if len(rest) > 0 && rest[0] != ' ' && rest[0] != '\t' && rest[0] != '\n' && rest[0] != '\r' {
		return false, nil // "----" or "---foo" is content
	}
	if m[0] == '.' {
		return true, nil
	}
	return true, rest
}

// readJSON decodes a stream of JSON values. A syntax error ends the stream:
// JSON has no document marker to resume at.
func (s *splitter) readJSON(ctx context.Context) error {
	dec := json.NewDecoder(s.r)
	dec.UseNumber()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		var v any
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			return nil
		}
		s.index++
		line := 0
		if s.index == 1 {
			line = 1
		}
		if err != nil {
			return s.emit(Document{Path: s.path, Index: s.index, Line: line, Err: fmt.Errorf("invalid JSON: %w", err)})
		}
		if err := s.deliver(normalize(v), line, ""); err != nil {
			return err
		}
	}
}

// deliver hands over one decoded document: a mapping, the items of a List,
// or an error for anything else.
func (s *splitter) deliver(v any, line int, template string) error {
	base := Document{Path: s.path, Index: s.index, Line: line, Template: template}
	switch t := v.(type) {
	case map[string]any:
		if !isList(t) {
			base.Object = t
			return s.emit(base)
		}
		items, _ := t["items"].([]any)
		for i, it := range items {
			d := base
			d.Item = i + 1
			if obj, ok := it.(map[string]any); ok {
				d.Object = obj
			} else {
				d.Err = fmt.Errorf("item %d of the %s is %s, not an object", i+1, str(t, "kind"), describe(it))
			}
			if err := s.emit(d); err != nil {
				return err
			}
		}
		return nil
	case []any:
		// A bare JSON or YAML array of objects: read it like a List.
		return s.deliver(map[string]any{"kind": "List", "items": t}, line, template)
	default:
		base.Err = fmt.Errorf("document is %s, not a Kubernetes object (a mapping with apiVersion and kind)", describe(v))
		return s.emit(base)
	}
}

func describe(v any) string {
	switch v.(type) {
	case nil:
		return "empty"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case int64, float64:
		return "a number"
	case []any:
		return "a list"
	case map[string]any:
		return "a mapping"
	}
	return fmt.Sprintf("a %T", v)
}
