package version

import (
	"errors"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		want    Version
		wantErr bool
	}{
		{"1.37.2", Version{1, 37, 2}, false},
		{"v1.37.2", Version{1, 37, 2}, false},
		{" 1.36 ", Version{1, 36, 0}, false},
		{"v1.37.2+k3s1", Version{1, 37, 2}, false},
		{"v1.36.3-dirty", Version{1, 36, 3}, false},
		{"", Version{}, true},
		{"1", Version{}, true},
		{"1.x.2", Version{}, true},
		{"1.2.3.4", Version{}, true},
		{"-1.2.3", Version{}, true},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("Parse(%q) = %v, %v; want %v, err=%v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestCheckControlPlaneUpgrade(t *testing.T) {
	tests := []struct {
		from, to  string
		allowSkip bool
		want      error
	}{
		{"1.36.3", "1.37.2", false, nil},
		{"1.36.3", "1.36.5", false, nil},
		{"1.36.3", "1.36.3", false, nil},
		{"1.37.2", "1.36.3", false, ErrDowngrade},
		{"1.36.5", "1.36.3", false, ErrDowngrade},
		{"1.35.0", "1.37.2", false, ErrSkipMinor},
		{"1.35.0", "1.37.2", true, nil},
	}
	for _, tt := range tests {
		err := CheckControlPlaneUpgrade(MustParse(tt.from), MustParse(tt.to), tt.allowSkip)
		if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
			t.Errorf("%s -> %s (skip=%v) = %v, want %v", tt.from, tt.to, tt.allowSkip, err, tt.want)
		}
	}
}

func TestCheckNodeSkew(t *testing.T) {
	tests := []struct {
		cp, node string
		ok       bool
	}{
		{"1.37.2", "1.37.2", true},
		{"1.37.2", "1.34.0", true},  // 3 minors behind: allowed since 1.28
		{"1.37.2", "1.33.9", false}, // 4 behind
		{"1.36.3", "1.37.2", false}, // node newer
		{"1.37.0", "1.37.2", false}, // newer patch is newer too
	}
	for _, tt := range tests {
		err := CheckNodeSkew(MustParse(tt.cp), MustParse(tt.node))
		if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrSkew)) {
			t.Errorf("CheckNodeSkew(%s, %s) = %v, want ok=%v", tt.cp, tt.node, err, tt.ok)
		}
	}
}

// FuzzParse: any input yields a version or an error naming the input, never
// a panic, and a parsed version prints back to something Parse accepts.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"1.37.2", "v1.36", "v1.37.2+k3s1", "", "1..2", "99999999.1.1", "1.2.3-rc.1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := Parse(s)
		if err != nil {
			return
		}
		again, err := Parse(v.String())
		if err != nil || again != v {
			t.Fatalf("Parse(%q) = %v, which does not round-trip: %v %v", s, v, again, err)
		}
	})
}
