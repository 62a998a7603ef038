package local_test

import (
	"context"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"upshift.dev/upshift/internal/localfleet"
	"upshift.dev/upshift/internal/traffic"
	"upshift.dev/upshift/internal/traffic/local"
)

// childEnv makes the test binary a data plane process for the fleet in
// that directory, standing in for `upshift local dataplane`.
const childEnv = "UPSHIFT_TEST_DATAPLANE_FLEET"

func TestMain(m *testing.M) {
	if dir := os.Getenv(childEnv); dir != "" {
		os.Exit(runChild(dir))
	}
	os.Exit(m.Run())
}

func runChild(fleetDir string) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	f := &localfleet.Fleet{Dir: fleetDir}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	dp, err := local.NewDataPlane(local.DataPlaneOptions{Clusters: f, Dir: f.DataPlaneDir(), GatewayAddr: "127.0.0.1:0", Logger: log})
	if err == nil {
		err = dp.Run(ctx)
	}
	if err != nil {
		log.Error("data plane failed", "err", err)
		return 1
	}
	return 0
}

// testDaemon runs the data plane as a detached process, the way `upshift
// local up` does, and checks that the weights set through its admin
// endpoint outlive the process.
func testDaemon(t *testing.T, f *localfleet.Fleet) {
	ctx := context.Background()
	dir := f.DataPlaneDir()
	cmd := func() *exec.Cmd {
		c := exec.Command(os.Args[0])
		c.Env = append(os.Environ(), childEnv+"="+f.Dir)
		return c
	}
	t.Cleanup(func() {
		if _, err := local.StopDaemon(context.Background(), dir); err != nil {
			t.Error(err)
		}
	})

	st, started, err := local.StartDaemon(ctx, dir, cmd())
	if err != nil || !started || len(st.Ingresses) != 2 || st.Gateway == "" {
		t.Fatalf("StartDaemon: %+v started=%v err=%v", st, started, err)
	}
	if again, started, err := local.StartDaemon(ctx, dir, cmd()); err != nil || started || again.PID != st.PID {
		t.Fatalf("second StartDaemon: pid %d started=%v err=%v; want the running pid %d reused", again.PID, started, err, st.PID)
	}
	r, err := local.RouterFor(dir, "blue", "green")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.SetWeights(ctx, traffic.Weights{"blue": 0, "green": 100}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the daemon's gateway sends to green", answers(t, st.Gateway+"/shop/web/", 200, "green"))

	if stopped, err := local.StopDaemon(ctx, dir); err != nil || !stopped {
		t.Fatalf("StopDaemon: stopped=%v err=%v", stopped, err)
	}
	if local.Running(dir) {
		t.Fatal("the data plane still holds its lock after StopDaemon")
	}
	if _, err := local.RouterFor(dir); err == nil || !strings.Contains(err.Error(), "upshift local up") {
		t.Errorf("RouterFor with no data plane: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, local.PIDFileName)); !os.IsNotExist(err) {
		t.Errorf("pid file left behind: %v", err)
	}
	if stopped, err := local.StopDaemon(ctx, dir); err != nil || stopped {
		t.Errorf("StopDaemon with none running: stopped=%v err=%v", stopped, err)
	}

	st2, started, err := local.StartDaemon(ctx, dir, cmd())
	if err != nil || !started || st2.PID == st.PID {
		t.Fatalf("restart: %+v started=%v err=%v", st2, started, err)
	}
	r2, err := local.NewRemoteRouter(st2.Gateway, "blue", "green")
	if err != nil {
		t.Fatal(err)
	}
	if w, err := r2.Weights(ctx); err != nil || w.String() != "blue=0 green=100" {
		t.Fatalf("weights after a restart of the process: %s, %v", w, err)
	}
	eventually(t, "the restarted gateway sends to green", answers(t, st2.Gateway+"/shop/web/", 200, "green"))
	log, err := os.ReadFile(filepath.Join(dir, local.LogFileName))
	if err != nil || strings.Count(string(log), "gateway listening") != 2 {
		t.Errorf("log of two runs:\n%s (%v)", log, err)
	}
}
