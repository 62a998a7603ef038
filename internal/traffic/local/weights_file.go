package local

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"upshift.dev/upshift/internal/traffic"
)

// weightsFile is the JSON kept in GatewayOptions.WeightsFile.
type weightsFile struct {
	Weights   traffic.Weights `json:"weights"`
	UpdatedAt time.Time       `json:"updatedAt"`
}

// loadWeights reads the weights; a missing file (or no file configured)
// means none set yet.
func loadWeights(path string) (traffic.Weights, error) {
	if path == "" {
		return traffic.Weights{}, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return traffic.Weights{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading gateway weights: %w", err)
	}
	var f weightsFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("gateway weights file %s is damaged (%v); fix or remove it, then set the weights again", path, err)
	}
	if f.Weights == nil {
		f.Weights = traffic.Weights{}
	}
	return f.Weights, nil
}

// saveWeights replaces the file atomically and durably: written to a
// temporary file, synced, renamed over the old one, and the directory
// synced, so a crash leaves either the old weights or the new ones.
func saveWeights(path string, w traffic.Weights) error {
	if path == "" {
		return nil
	}
	b, err := json.MarshalIndent(weightsFile{Weights: w, UpdatedAt: time.Now().UTC()}, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("saving gateway weights: %w", err)
	}
	tmp, err := os.CreateTemp(dir, filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("saving gateway weights: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("saving gateway weights: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("saving gateway weights: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("saving gateway weights: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("saving gateway weights: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}
