package strategy

import (
	"bytes"
	"os"
	"testing"
)

// FuzzRead feeds strategy files to Read: bad input is an error, never a
// panic, and what Read accepts passes Validate.
//
//	go test ./internal/cli/strategy -run '^$' -fuzz FuzzRead -fuzztime 60s
func FuzzRead(f *testing.F) {
	if b, err := os.ReadFile("testdata/rollout.yaml"); err == nil {
		f.Add(b)
	}
	f.Add([]byte("stages: [{name: dev, groups: [{name: dev}], afterStageWaitInSeconds: 60}]"))
	f.Add([]byte("kind: UpdateStrategy\nmetadata: {name: s}\nspec: {stages: [{name: a, groups: [{name: b, maxConcurrency: '25%'}]}]}"))
	f.Add([]byte("stages: [{name: prod, beforeGates: [{type: Approval}], groups: [{name: p, maxConcurrency: '0'}]}]"))
	f.Add([]byte("{}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		spec, _, err := Read(bytes.NewReader(data), "-")
		if err != nil {
			return
		}
		if err := Validate(spec); err != nil {
			t.Fatalf("Read accepted a spec Validate refuses: %v", err)
		}
	})
}
