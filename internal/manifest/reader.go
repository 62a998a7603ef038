package manifest

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
)

// Read reads every path: a file (whatever its name), a directory (every
// *.yaml, *.yml and *.json below it, skipping hidden files and directories)
// or "-" for opts.Stdin. It calls fn for each document; fn is called from up
// to opts.Workers goroutines at once, and in order for the documents of one
// file, so fn must be safe for concurrent use.
//
// A path that does not exist is an error returned before anything is read
// (a usage mistake). Everything found while reading (unreadable files,
// broken documents) is delivered to fn as a Document with Err set. Read
// returns fn's first error, after which it stops reading, or ctx's error.
func Read(ctx context.Context, paths []string, opts Options, fn func(Document) error) error {
	files, err := Expand(paths)
	if err != nil {
		return err
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, max(len(files), 1))

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		once     sync.Once
		firstErr error
		jobs     = make(chan string)
	)
	fail := func(err error) {
		once.Do(func() { firstErr = err; cancel() })
	}
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for path := range jobs {
				if err := readFile(ctx, path, opts, fn); err != nil {
					fail(err)
				}
			}
		}()
	}
feed:
	for _, f := range files {
		select {
		case jobs <- f:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

func readFile(ctx context.Context, path string, opts Options, fn func(Document) error) error {
	if path == "-" {
		if opts.Stdin == nil {
			return fn(Document{Path: "-", Index: 1, Err: errors.New("standard input is not available")})
		}
		return ReadStream(ctx, opts.Stdin, "-", opts, fn)
	}
	f, err := os.Open(path)
	if err != nil {
		return fn(Document{Path: path, Index: 1, Err: fmt.Errorf("cannot open: %w", err)})
	}
	defer f.Close()
	return ReadStream(ctx, f, path, opts, fn)
}

// Expand resolves paths into the files Read reads, in a stable order: each
// path in the order given, a directory's files in lexical order. "-" may be
// given once.
func Expand(paths []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	stdin := false
	for _, p := range paths {
		if p == "-" {
			if stdin {
				return nil, errors.New(`-f - (standard input) is given twice; give it once`)
			}
			stdin = true
			add(p)
			continue
		}
		fi, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("-f %s: %w; give an existing file, a directory or - for standard input", p, errors.Unwrap(err))
		}
		if !fi.IsDir() {
			add(p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				// Unreadable entries are still read, so the error surfaces
				// as a document of that file rather than vanishing.
				if path != p && d != nil && !d.IsDir() {
					found = append(found, path)
				}
				return nil
			}
			hidden := path != p && strings.HasPrefix(d.Name(), ".")
			if d.IsDir() {
				if hidden {
					return filepath.SkipDir
				}
				return nil
			}
			if !hidden && manifestExt(d.Name()) {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("-f %s: %w", p, err)
		}
		sort.Strings(found)
		for _, f := range found {
			add(f)
		}
	}
	return out, nil
}

func manifestExt(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}
