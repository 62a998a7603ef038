// Command bench measures the preflight manifest scan: it writes a corpus of
// generated manifests (many files in nested directories, several documents
// per file, a mix of current, deprecated and removed APIs and workloads
// that trip the checks), then scans it in a child process, twice:
//
//   - upshift: manifest.Read (files in parallel, streamed document by
//     document) into the preflight engine with every check;
//   - naive: the peers' shape (read every file into memory, split and
//     decode every document with sigs.k8s.io/yaml, keep all objects, then
//     check), as a baseline in the same run. Pluto and kube-no-trouble
//     themselves are not installable here.
//
// Each mode runs in its own process so peak memory (the largest Go heap
// sampled every 5ms, and the process's max RSS from getrusage) is its own.
//
//	go run ./internal/preflight/bench -objects 100000 -files 3000 [-checks apis]
//
// Memory follows the findings, not the corpus: with -checks apis (one
// finding per removed object) the peak stays far below the all-checks run
// on the same corpus, whose findings cover most workloads.
package main
