package local_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"upshift.dev/upshift/internal/cli/cmdutil"
	"upshift.dev/upshift/internal/cli/root"
	"upshift.dev/upshift/internal/localfleet"
	trafficlocal "upshift.dev/upshift/internal/traffic/local"
)

// asUpshift makes the test binary run as upshift itself, so `local up` can
// start `local dataplane` from os.Executable() the way the real binary
// does.
const asUpshift = "UPSHIFT_TEST_RUN_AS_UPSHIFT"

func TestMain(m *testing.M) {
	if os.Getenv(asUpshift) == "1" {
		os.Exit(root.Main())
	}
	os.Exit(m.Run())
}

// run runs upshift with args and returns stdout, stderr and the error.
func run(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	ios, _, out, errOut := cmdutil.Test()
	cmd := root.NewCmd(&cmdutil.Factory{IO: ios})
	cmd.SetArgs(args)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	err := cmd.ExecuteContext(ctx)
	return out.String(), errOut.String(), err
}

func TestDataPlanePortInUse(t *testing.T) {
	t.Setenv("UPSHIFT_LOCAL_DIR", t.TempDir())
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	addr := l.Addr().String()
	port := l.Addr().(*net.TCPAddr).Port
	_, _, err = run(t, "local", "dataplane", "--gateway-address", addr)
	want := fmt.Sprintf("port %d is in use (%s); pick another with --gateway-address, or stop what holds it", port, addr)
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
	if _, _, err := run(t, "local", "dataplane", "--gateway-address", "0.0.0.0:0"); err == nil || !strings.Contains(err.Error(), "not on loopback") {
		t.Fatalf("a gateway off loopback: %v", err)
	}
}

func TestWeightsArguments(t *testing.T) {
	t.Setenv("UPSHIFT_LOCAL_DIR", t.TempDir())
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"prod"}, `"prod" is not CLUSTER=PERCENT`},
		{[]string{"prod=x"}, `"prod=x" is not CLUSTER=PERCENT`},
		{[]string{"prod=60", "dev=60"}, "sum to 120, want 100"},
		{[]string{"prod=50", "prod=50"}, `cluster "prod" is given twice`},
		{[]string{"prod=100"}, "the local data plane is not running"},
		{nil, "the local data plane is not running"},
	} {
		_, _, err := run(t, append([]string{"local", "weights"}, tc.args...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("weights %v: %v, want %q", tc.args, err, tc.want)
		}
	}
}

// TestUpRunsTheDataPlane drives the process model through the real
// commands: up starts the data plane detached, status shows it, weights
// moves traffic, and down stops it with the last cluster.
func TestUpRunsTheDataPlane(t *testing.T) {
	root := filepath.Join(os.TempDir(), "upshift-fleettest") // swept by make test
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp(root, "cli-dataplane-")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("UPSHIFT_LOCAL_DIR", dir)
	t.Setenv(asUpshift, "1") // for the detached child only; TestMain has run
	fl := &localfleet.Fleet{Dir: dir}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		_ = fl.Down(ctx, nil, nil)
		_, _ = trafficlocal.StopDaemon(ctx, fl.DataPlaneDir())
		_ = os.RemoveAll(dir)
	})
	gw := freeAddr(t)

	out, errOut, err := run(t, "local", "up", "--clusters", "one", "--nodes", "2", "--no-fragile-app",
		"--pod-start-delay", "200ms", "--gateway-address", gw)
	if err != nil {
		t.Fatalf("up: %v\n%s", err, errOut)
	}
	if !strings.Contains(errOut, "Data plane started") || !strings.Contains(errOut, "gateway http://"+gw) {
		t.Fatalf("up did not report the data plane:\n%s", errOut)
	}
	if !strings.Contains(out, "INGRESS") || !strings.Contains(out, "http://127.0.0.1:") {
		t.Fatalf("up's table has no ingress URL:\n%s", out)
	}

	out, _, err = run(t, "local", "status", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out), &rows); err != nil || len(rows) != 1 {
		t.Fatalf("status -o json: %v\n%s", err, out)
	}
	for _, field := range []string{"name", "context", "running", "kubernetesVersion", "pools", "nodes", "readyPods", "ingressURL", "gatewayURL"} {
		if _, ok := rows[0][field]; !ok {
			t.Errorf("status -o json lacks %q: %v", field, rows[0])
		}
	}
	if rows[0]["gatewayURL"] != "http://"+gw {
		t.Errorf("gatewayURL %v, want http://%s", rows[0]["gatewayURL"], gw)
	}

	if _, _, err := run(t, "local", "dataplane", "--gateway-address", freeAddr(t)); err == nil || !strings.Contains(err.Error(), "already serves this fleet") {
		t.Errorf("a second data plane for the fleet: %v", err)
	}
	if out, _, err := run(t, "local", "weights", "one=100"); err != nil || !strings.Contains(out, "100%") {
		t.Fatalf("weights one=100: %v\n%s", err, out)
	}
	code, cluster := fetch(t, "http://"+gw+"/shop/web/")
	if code != 200 || cluster != "one" {
		t.Fatalf("through the gateway: %d from %q", code, cluster)
	}

	// Everything stops at once, as in a reboot: kill -9 every process of
	// the cluster and the data plane. 'local start' brings them back, with
	// the data, the gateway's address and its weights.
	killed := 0
	pids, _ := filepath.Glob(filepath.Join(dir, "kwok", "clusters", "one", "pids", "*.pid"))
	if last, err := trafficlocal.LastState(fl.DataPlaneDir()); err == nil && last.PID > 0 {
		pids = append(pids, strconv.Itoa(last.PID))
	}
	for _, p := range pids {
		raw := p
		if b, err := os.ReadFile(p); err == nil {
			raw = strings.TrimSpace(string(b))
		}
		if pid, err := strconv.Atoi(raw); err == nil && syscall.Kill(pid, syscall.SIGKILL) == nil {
			killed++
		}
	}
	if killed < 5 {
		t.Fatalf("killed %d processes, want the cluster's and the data plane's", killed)
	}
	for deadline := time.Now().Add(10 * time.Second); trafficlocal.Running(fl.DataPlaneDir()) || len(fl.DeadComponents("one")) == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the killed processes are still there")
		}
		time.Sleep(100 * time.Millisecond)
	}
	out, errOut, err = run(t, "local", "start")
	if err != nil || !strings.Contains(errOut, "started ") || !strings.Contains(errOut, "Data plane started") {
		t.Fatalf("start after kill -9: %v\n%s\n%s", err, out, errOut)
	}
	if code, cluster := fetch(t, "http://"+gw+"/shop/web/"); code != 200 || cluster != "one" {
		t.Fatalf("through the gateway after start: %d from %q", code, cluster)
	}
	// Nothing stopped: start leaves it alone.
	if _, errOut, err := run(t, "local", "start"); err != nil || !strings.Contains(errOut, "running") || !strings.Contains(errOut, "already running") {
		t.Fatalf("start with everything running: %v\n%s", err, errOut)
	}
	if _, _, err := run(t, "local", "start", "nope"); err == nil || !strings.Contains(err.Error(), `cluster "nope" does not exist`) {
		t.Errorf("start of a cluster that does not exist: %v", err)
	}

	_, errOut, err = run(t, "local", "down")
	if err != nil || !strings.Contains(errOut, "data plane stopped") {
		t.Fatalf("down: %v\n%s", err, errOut)
	}
	if trafficlocal.Running(fl.DataPlaneDir()) {
		t.Fatal("the data plane still runs after the last cluster went")
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func fetch(t *testing.T, url string) (int, string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 || time.Now().After(deadline) {
				return resp.StatusCode, resp.Header.Get(trafficlocal.HeaderCluster)
			}
		} else if time.Now().After(deadline) {
			t.Fatal(errors.Join(err, errors.New("gateway does not answer")))
		}
		time.Sleep(100 * time.Millisecond)
	}
}
