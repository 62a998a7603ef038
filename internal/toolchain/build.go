package toolchain

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// Phase is a step of a component build.
type Phase string

// Build phases, in order.
const (
	PhaseCached    Phase = "cached"    // already built; nothing to do
	PhaseWaiting   Phase = "waiting"   // another process holds the build lock
	PhaseResolving Phase = "resolving" // writing the tools module, downloading modules
	PhaseCompiling Phase = "compiling" // go build is running
	PhaseDone      Phase = "done"
)

// Progress is one report of a component build.
type Progress struct {
	Component string
	Phase     Phase
	// Compiled and Total count packages; Total is an upper bound, since
	// packages already in Go's build cache are not compiled again.
	Compiled, Total int
	// Package is the package compiled last.
	Package string
	Elapsed time.Duration
}

// ProgressFunc receives build reports. It may be nil.
type ProgressFunc func(Progress)

func (f ProgressFunc) report(p Progress) {
	if f != nil {
		f(p)
	}
}

// build makes sure comp is in the cache, building it if needed. Holding a
// file lock while checking and building means two processes never build the
// same component at once, and the later one finds the finished entry.
func (c Cache) build(ctx context.Context, comp Component, progress ProgressFunc) error {
	if _, err := c.manifest(comp); err == nil {
		progress.report(Progress{Component: comp.Key(), Phase: PhaseCached})
		return nil
	}
	root := c.dir()
	if err := os.MkdirAll(root, 0o755); err != nil {
		return fmt.Errorf("failed to create toolchain cache %s: %w", root, err)
	}
	start := time.Now()
	unlock, err := lockFile(ctx, filepath.Join(root, "."+comp.Key()+".lock"), func() {
		progress.report(Progress{Component: comp.Key(), Phase: PhaseWaiting})
	})
	if err != nil {
		return err
	}
	defer unlock()
	if _, err := c.manifest(comp); err == nil { // built while we waited
		progress.report(Progress{Component: comp.Key(), Phase: PhaseCached, Elapsed: time.Since(start)})
		return nil
	}

	tmp, err := os.MkdirTemp(root, "."+comp.Key()+".building-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	if err := c.compile(ctx, comp, tmp, start, progress); err != nil {
		return fmt.Errorf("failed to build %s: %w", comp.Key(), err)
	}
	m := Manifest{
		Component: comp.Name, Version: comp.Version, Fingerprint: comp.fingerprint(),
		GoVersion: runtime.Version(), BuiltAt: time.Now().UTC(),
		BuildTime: time.Since(start).Round(time.Second).String(), Binaries: map[string]string{},
	}
	for _, name := range comp.Binaries() {
		m.Binaries[name] = filepath.Join("bin", name)
	}
	b, _ := json.MarshalIndent(m, "", "  ")
	if err := os.WriteFile(filepath.Join(tmp, "manifest.json"), b, 0o644); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	final := filepath.Join(root, comp.Key())
	// A stale entry from an older recipe is moved aside rather than deleted
	// first, so there is never a moment with a half-replaced directory.
	if _, err := os.Stat(final); err == nil {
		old := final + ".old-" + fmt.Sprint(time.Now().UnixNano())
		if err := os.Rename(final, old); err != nil {
			return err
		}
		defer os.RemoveAll(old)
	}
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("failed to move %s into the cache: %w", comp.Key(), err)
	}
	progress.report(Progress{Component: comp.Key(), Phase: PhaseDone, Elapsed: time.Since(start)})
	return nil
}

// compile writes the tools module into dir/src and builds every binary into
// dir/bin with one go build, so shared packages compile once.
func (c Cache) compile(ctx context.Context, comp Component, dir string, start time.Time, progress ProgressFunc) error {
	progress.report(Progress{Component: comp.Key(), Phase: PhaseResolving, Elapsed: time.Since(start)})
	src := filepath.Join(dir, "src")
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		return err
	}
	if err := os.MkdirAll(src, 0o755); err != nil {
		return err
	}
	gomod, err := comp.goMod(ctx, comp)
	if err != nil {
		return err
	}
	var tools bytes.Buffer
	tools.WriteString("//go:build tools\n\npackage tools\n\nimport (\n")
	pkgs := make([]string, 0, len(comp.Packages))
	for _, name := range comp.Binaries() {
		pkgs = append(pkgs, comp.Packages[name])
		fmt.Fprintf(&tools, "\t_ %q\n", comp.Packages[name])
	}
	tools.WriteString(")\n")
	if err := os.WriteFile(filepath.Join(src, "go.mod"), gomod, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(src, "tools.go"), tools.Bytes(), 0o644); err != nil {
		return err
	}
	if err := goCmd(ctx, src, nil, "mod", "tidy"); err != nil {
		return err
	}

	var listOut bytes.Buffer
	if err := goCmd(ctx, src, &listOut, append([]string{"list", "-deps", "-f", "{{.ImportPath}}"}, pkgs...)...); err != nil {
		return err
	}
	total := strings.Count(listOut.String(), "\n")
	progress.report(Progress{Component: comp.Key(), Phase: PhaseCompiling, Total: total, Elapsed: time.Since(start)})

	// Each binary needs its own -o when building several main packages with
	// distinct names; -o DIR/ does that for all of them at once.
	args := []string{"build", "-v", "-trimpath", "-ldflags", comp.LDFlags, "-o", filepath.Join(dir, "bin") + string(os.PathSeparator)}
	pr, pw := io.Pipe()
	done := make(chan struct{})
	var tail lineTail
	go func() {
		defer close(done)
		sc := bufio.NewScanner(pr)
		compiled, last := 0, time.Time{}
		for sc.Scan() {
			line := sc.Text()
			tail.add(line)
			if strings.ContainsAny(line, " :") { // an error line, not a package path
				continue
			}
			compiled++
			if time.Since(last) > 500*time.Millisecond {
				last = time.Now()
				progress.report(Progress{Component: comp.Key(), Phase: PhaseCompiling, Compiled: compiled, Total: total, Package: line, Elapsed: time.Since(start)})
			}
		}
	}()
	err = runGo(ctx, src, pw, append(args, pkgs...)...)
	pw.Close()
	<-done
	if err != nil {
		return fmt.Errorf("%w\n%s", err, tail.String())
	}
	// go build names a binary after its import path's last element, skipping
	// a major-version suffix: go.etcd.io/etcd/server/v3 becomes "server".
	for _, name := range comp.Binaries() {
		want := filepath.Join(dir, "bin", name)
		if _, err := os.Stat(want); err == nil {
			continue
		}
		got := filepath.Join(dir, "bin", defaultBinaryName(comp.Packages[name]))
		if err := os.Rename(got, want); err != nil {
			return fmt.Errorf("binary %s was not produced: %w", name, err)
		}
	}
	return nil
}

func goCmd(ctx context.Context, dir string, stdout io.Writer, args ...string) error {
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, stdout, &stderr
	cmd.Env = goEnv()
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go %s: %w\n%s", args[0], err, lastLines(stderr.String(), 20))
	}
	return nil
}

func runGo(ctx context.Context, dir string, stderr io.Writer, args ...string) error {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir, cmd.Stderr = dir, stderr
	cmd.Env = goEnv()
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go %s: %w", args[0], err)
	}
	return nil
}

// goEnv builds statically and outside any workspace, whatever the caller's
// environment says.
func goEnv() []string {
	return append(os.Environ(), "CGO_ENABLED=0", "GOWORK=off", "GOFLAGS=-mod=mod -buildvcs=false")
}

func exitDetail(err error) error {
	var ee *exec.ExitError
	if errors.As(err, &ee) && len(ee.Stderr) > 0 {
		return fmt.Errorf("%w: %s", err, strings.TrimSpace(lastLines(string(ee.Stderr), 5)))
	}
	return err
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// lineTail keeps the last lines of a build log for the error message.
type lineTail struct{ lines []string }

func (t *lineTail) add(l string) {
	t.lines = append(t.lines, l)
	if len(t.lines) > 30 {
		t.lines = t.lines[1:]
	}
}

func (t *lineTail) String() string { return strings.Join(t.lines, "\n") }

// lockFile takes an exclusive flock on path, calling waiting once if it has
// to wait. The lock dies with the process, so a killed build never leaves the
// cache locked.
func lockFile(ctx context.Context, path string, waiting func()) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	told := false
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("failed to lock %s: %w", path, err)
		}
		if !told && waiting != nil {
			waiting()
			told = true
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

var majorSuffix = regexp.MustCompile(`^v[0-9]+$`)

// defaultBinaryName is the file name go build gives a main package.
func defaultBinaryName(pkg string) string {
	elems := strings.Split(pkg, "/")
	last := elems[len(elems)-1]
	if majorSuffix.MatchString(last) && len(elems) > 1 {
		return elems[len(elems)-2]
	}
	return last
}
