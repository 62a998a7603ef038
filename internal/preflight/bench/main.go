package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"syscall"
	"time"

	"sigs.k8s.io/yaml"

	"upshift.dev/upshift/internal/manifest"
	"upshift.dev/upshift/internal/preflight"
	"upshift.dev/upshift/internal/version"
)

type result struct {
	Mode      string  `json:"mode"`
	Objects   int     `json:"objects"`
	Findings  int     `json:"findings"`
	Seconds   float64 `json:"seconds"`
	PeakHeap  uint64  `json:"peakHeapBytes"`
	Retained  uint64  `json:"retainedHeapBytes"`
	MaxRSS    int64   `json:"maxRSSBytes"`
	Workers   int     `json:"workers"`
	CorpusMiB float64 `json:"corpusMiB"`
}

func main() {
	objects := flag.Int("objects", 100000, "objects in the generated corpus")
	files := flag.Int("files", 3000, "files in the generated corpus")
	dir := flag.String("dir", "", "corpus directory (a temporary one, removed afterwards, when empty)")
	mode := flag.String("mode", "", "internal: scan -dir in this process with mode upshift or naive")
	workers := flag.Int("workers", 0, "files read at once (GOMAXPROCS when 0)")
	cpuprofile := flag.String("cpuprofile", "", "internal: write a CPU profile of the scan")
	checks := flag.String("checks", "", "check groups, as preflight --checks (default all)")
	flag.Parse()
	if *mode != "" {
		if *cpuprofile != "" {
			f, err := os.Create(*cpuprofile)
			if err == nil {
				_ = pprof.StartCPUProfile(f)
				defer pprof.StopCPUProfile()
			}
		}
		r, err := scan(*mode, *dir, *workers, *checks)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			pprof.StopCPUProfile()
			os.Exit(1)
		}
		_ = json.NewEncoder(os.Stdout).Encode(r)
		return // deferred: the profile is written
	}
	if err := compare(*objects, *files, *dir, *workers, *checks); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func compare(objects, files int, dir string, workers int, checks string) error {
	if dir == "" {
		d, err := os.MkdirTemp("", "upshift-preflight-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	start := time.Now()
	size, err := generate(dir, objects, files)
	if err != nil {
		return err
	}
	fmt.Printf("corpus: %d objects in %d files, %.1f MiB, under %s (generated in %s)\n",
		objects, files, float64(size)/(1<<20), dir, time.Since(start).Round(time.Millisecond))
	self, err := os.Executable()
	if err != nil {
		return err
	}
	for _, m := range []string{"upshift", "naive"} {
		cmd := exec.Command(self, "-mode", m, "-dir", dir, "-workers", fmt.Sprint(workers), "-checks", checks)
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		if err != nil {
			return fmt.Errorf("%s scan: %w", m, err)
		}
		var r result
		if err := json.Unmarshal(out, &r); err != nil {
			return fmt.Errorf("%s scan: %w (%s)", m, err, out)
		}
		label := fmt.Sprintf("upshift preflight (streaming, %d workers)", r.Workers)
		if m == "naive" {
			label = "naive baseline (read all, then parse all, then check)"
		}
		fmt.Printf("%-52s %7d objects in %6.2fs = %8.0f objects/s; peak heap %6.1f MiB, max RSS %6.1f MiB; %d findings holding %.1f MiB\n",
			label, r.Objects, r.Seconds, float64(r.Objects)/r.Seconds, float64(r.PeakHeap)/(1<<20), float64(r.MaxRSS)/(1<<20), r.Findings, float64(r.Retained)/(1<<20))
	}
	return nil
}

// scan runs one mode and measures it.
func scan(mode, dir string, workers int, checks string) (result, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	stop := make(chan struct{})
	var peak uint64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	var groups []string
	if checks != "" {
		groups = strings.Split(checks, ",")
	}
	set, err := preflight.ParseCheckSet(groups)
	if err != nil {
		return result{}, err
	}
	e := preflight.New(preflight.Options{Target: version.MustParse("1.37.2"), Checks: set})
	start := time.Now()
	switch mode {
	case "upshift":
		err = manifest.Read(context.Background(), []string{dir}, manifest.Options{Workers: workers}, func(d manifest.Document) error {
			e.ObserveDocument(d, preflight.Source{Kind: preflight.SourceFile})
			return nil
		})
	case "naive":
		err = naive(dir, e)
	default:
		err = fmt.Errorf("unknown mode %q", mode)
	}
	if err != nil {
		return result{}, err
	}
	r := e.Report()
	elapsed := time.Since(start)
	close(stop)
	wg.Wait()
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	// What the report itself holds: the heap after a collection, with the
	// report still alive.
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	runtime.KeepAlive(r)
	return result{Mode: mode, Objects: e.Observed(), Findings: len(r.Findings), Seconds: elapsed.Seconds(),
		PeakHeap: peak, Retained: ms.HeapAlloc, MaxRSS: ru.Maxrss * 1024, Workers: workers}, nil
}

// naive is the read-everything-first approach.
func naive(dir string, e *preflight.Engine) error {
	var blobs [][]byte
	var paths []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".yaml") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		blobs = append(blobs, b)
		paths = append(paths, p)
		return nil
	})
	if err != nil {
		return err
	}
	type doc struct {
		obj  map[string]any
		path string
		i    int
	}
	var docs []doc
	for i, b := range blobs {
		for j, part := range bytes.Split(b, []byte("\n---\n")) {
			var obj map[string]any
			if err := yaml.Unmarshal(part, &obj); err != nil || obj == nil {
				continue
			}
			docs = append(docs, doc{obj, paths[i], j + 1})
		}
	}
	for _, d := range docs {
		e.Observe(d.obj, preflight.Source{Kind: preflight.SourceFile, Path: d.path, Doc: d.i})
	}
	return nil
}
