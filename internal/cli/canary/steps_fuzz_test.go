package canary

import "testing"

// FuzzParseSteps: --steps is parsed or refused, never a panic; what is
// accepted is within 1..100 (that the weights rise and end at 100 is
// ValidateCanary's to say, with the field).
//
//	go test ./internal/cli/canary -run '^$' -fuzz FuzzParseSteps -fuzztime 30s
func FuzzParseSteps(f *testing.F) {
	for _, s := range []string{"20,50,100", "10, 25 ,50,100%", "100", "0,100", "50,20,100", "", ",", "1e2", "-5,100"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		steps, err := ParseSteps(s)
		if err != nil {
			return
		}
		for _, st := range steps {
			if st.Weight < 1 || st.Weight > 100 {
				t.Fatalf("%q gave steps %+v", s, steps)
			}
		}
	})
}
