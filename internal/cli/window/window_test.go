package window

import (
	"errors"
	"flag"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"upshift.dev/upshift/internal/cli/cmdutil"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with the golden file name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	cmdutil.Golden(t, filepath.Join("testdata", name), got, *update)
}

// The clock of every test: a Monday.
func clock() time.Time { return time.Date(2026, 4, 20, 0, 0, 0, 0, time.UTC) }

// weekly.yaml opens every 2 weeks on Sunday 02:00-06:00 at -05:00
// (07:00-11:00 UTC) from 2026-04-26, and never 2026-12-20..2027-01-03.
func TestCheck(t *testing.T) {
	tests := []struct {
		name, file, stdin, at, output string
		wantErr                       string // stderr
	}{
		{name: "open.json", file: "weekly.yaml", at: "2026-04-26T08:00:00Z", output: "json"},
		{name: "closed.json", file: "weekly.yaml", output: "json"},
		{name: "open.table", file: "weekly.yaml", at: "2026-04-26T03:30:00-05:00", output: "table"},
		{name: "closed.table", file: "weekly.yaml", output: "table"},
		{name: "closed.yaml", file: "weekly.yaml", at: "2026-12-25T00:00:00Z", output: "yaml"},
		{name: "window-end.json", file: "weekly.yaml", at: "2026-04-26T11:00:00Z", output: "json"},
		{
			name: "stdin.json", file: "-", output: "json",
			stdin: `{"maintenanceWindow": {"schedule": {"daily": {"intervalDays": 1}}, "durationHours": 4, "startTime": "23:00", "utcOffset": "+02:00"}, "name": "aksManagedNodeOSUpgradeSchedule"}`,
		},
		{
			name: "blocked.json", file: "blocked.yaml", output: "json",
			wantErr: "warning: no maintenance window opens between 2026-04-20T00:00:00Z and 2036-04-20T00:00:00Z: all 521 windows in that time overlap notAllowedDates; remove or shorten notAllowedDates\n",
		},
		{
			name: "blocked.table", file: "blocked.yaml", output: "table",
			wantErr: "warning: no maintenance window opens between 2026-04-20T00:00:00Z and 2036-04-20T00:00:00Z: all 521 windows in that time overlap notAllowedDates; remove or shorten notAllowedDates\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, in, out, errOut := cmdutil.Test()
			in.WriteString(tt.stdin)
			file := tt.file
			if file != "-" {
				file = filepath.Join("testdata", file)
			}
			opts := &CheckOptions{IO: ios, Now: clock, File: file, At: tt.at, Output: tt.output}
			if err := checkRun(opts); err != nil {
				t.Fatalf("checkRun: %v", err)
			}
			golden(t, "check-"+tt.name+".golden", out.String())
			if errOut.String() != tt.wantErr {
				t.Errorf("stderr = %q, want %q", errOut, tt.wantErr)
			}
		})
	}
}

func TestNext(t *testing.T) {
	tests := []struct {
		name, file, at, output string
		count                  int
		wantErr                string
	}{
		{name: "weekly.table", file: "weekly.yaml", count: 5, output: "table"},
		{name: "weekly.json", file: "weekly.yaml", count: 3, output: "json"},
		// Across the notAllowedDates at the year end.
		{name: "holidays.table", file: "weekly.yaml", at: "2026-12-01T00:00:00Z", count: 3, output: "table"},
		{
			name: "day31.table", file: "day31.yaml", count: 4, output: "table",
			wantErr: "warning: testdata/day31.yaml: schedule.absoluteMonthly.dayOfMonth: 31: no window opens in February, April, June, September and November (months without that day are skipped); use relativeMonthly with weekIndex Last for a window at every month's end\n",
		},
		{
			name: "blocked.json", file: "blocked.yaml", count: 2, output: "json",
			wantErr: "warning: 0 of 2 windows listed: no maintenance window opens between 2026-04-20T00:00:00Z and 2036-04-20T00:00:00Z: all 521 windows in that time overlap notAllowedDates; remove or shorten notAllowedDates\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, out, errOut := cmdutil.Test()
			opts := &NextOptions{IO: ios, Now: clock, File: filepath.Join("testdata", tt.file), At: tt.at, Count: tt.count, Output: tt.output}
			if err := nextRun(opts); err != nil {
				t.Fatalf("nextRun: %v", err)
			}
			golden(t, "next-"+tt.name+".golden", out.String())
			if errOut.String() != tt.wantErr {
				t.Errorf("stderr = %q, want %q", errOut, tt.wantErr)
			}
		})
	}
}

// TestErrors: bad input is one line naming the field and the fix, exit 1;
// bad flags are usage errors.
func TestErrors(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		stdin     string
		want      string
		flagError bool
	}{
		{
			name:  "invalid window",
			args:  []string{"check", "-f", "-"},
			stdin: "schedule:\n  weekly: {intervalWeeks: 6, dayOfWeek: Monday}\ndurationHours: 4\nstartTime: \"02:00\"\n",
			want:  "stdin: invalid maintenance window: schedule.weekly.intervalWeeks: 6 is out of range 1..4",
		},
		{
			name:  "unknown field in an ARM document",
			args:  []string{"next", "-f", "-"},
			stdin: `{"properties": {"maintenanceWindow": {"schedule": {"daily": {"intervalDays": 1}}, "durationHours": 4, "startTime": "02:00", "utcoffset": "+01:00"}}}`,
			want:  `stdin: invalid maintenance window: properties.maintenanceWindow.utcoffset: unknown field; did you mean "utcOffset"? (field names are case-sensitive)`,
		},
		{
			name: "missing file",
			args: []string{"check", "-f", "testdata/nope.yaml"},
			want: "cannot read the maintenance window: open testdata/nope.yaml: no such file or directory",
		},
		{
			name: "no -f", args: []string{"check"}, flagError: true,
			want: "-f/--file is required: the maintenance window file, or - for stdin",
		},
		{
			name: "bad --at", args: []string{"check", "-f", "testdata/weekly.yaml", "--at", "2026-04-20 10:00"}, flagError: true,
			want: `--at "2026-04-20 10:00" is not an RFC 3339 time; use e.g. 2026-05-03T02:00:00Z or 2026-05-03T04:00:00+02:00`,
		},
		{
			name: "bad -n", args: []string{"next", "-f", "testdata/weekly.yaml", "-n", "0"}, flagError: true,
			want: "-n 0 is out of range; use 1..1000",
		},
		{
			name: "bad -o", args: []string{"next", "-f", "testdata/weekly.yaml", "-o", "wide"}, flagError: true,
			want: `--output "wide" is not supported; use one of: table, json, yaml`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, in, out, _ := cmdutil.Test()
			in.WriteString(tt.stdin)
			cmd := NewCmd(&cmdutil.Factory{IO: ios, Now: clock})
			cmd.SetArgs(tt.args)
			cmd.SetOut(out)
			cmd.SetErr(out)
			cmd.SilenceUsage, cmd.SilenceErrors = true, true
			err := cmd.Execute()
			if err == nil {
				t.Fatalf("no error; output %q", out)
			}
			if err.Error() != tt.want {
				t.Errorf("error:\n got %s\nwant %s", err, tt.want)
			}
			var fe *cmdutil.FlagError
			if errors.As(err, &fe) != tt.flagError {
				t.Errorf("FlagError = %t, want %t", !tt.flagError, tt.flagError)
			}
			if code := cmdutil.ExitCode(err); code != cmdutil.ExitFailure {
				t.Errorf("exit code %d, want %d", code, cmdutil.ExitFailure)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
}

// TestCommand runs the commands through cobra, flags and all, with the
// factory's clock as the default --at.
func TestCommand(t *testing.T) {
	for _, tt := range []struct {
		args   []string
		golden string
	}{
		{[]string{"check", "-f", "testdata/weekly.yaml", "-o", "json"}, "check-closed.json.golden"},
		{[]string{"next", "--file", "testdata/weekly.yaml", "-n", "3", "--output", "json"}, "next-weekly.json.golden"},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			ios, _, out, _ := cmdutil.Test()
			cmd := NewCmd(&cmdutil.Factory{IO: ios, Now: clock})
			cmd.SetArgs(tt.args)
			cmd.SetOut(out)
			if err := cmd.Execute(); err != nil {
				t.Fatal(err)
			}
			golden(t, tt.golden, out.String())
		})
	}
}
