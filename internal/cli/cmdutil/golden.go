package cmdutil

import (
	"os"
	"path/filepath"
	"testing"
)

// Golden compares a command's output with the golden file at path, or
// rewrites the file when update is set (each test package's -update
// flag). A missing file is an error that says how to create it.
func Golden(t testing.TB, path, got string, update bool) {
	t.Helper()
	if update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run go test with -update to accept):\n--- got\n%s--- want\n%s", path, got, want)
	}
}
