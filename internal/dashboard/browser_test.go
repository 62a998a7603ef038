package dashboard

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"upshift.dev/upshift/internal/testenv/hub"
)

// chromium is Debian's, which `make deps` installs.
const chromium = "/usr/bin/chromium"

// TestBrowserDrawsTheFleet loads the page in headless Chromium and checks
// the DOM its script drew from the hub: what waits for a person first, the
// traffic weights, the run's stages and the members.
func TestBrowserDrawsTheFleet(t *testing.T) {
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("%s: %v; install it with 'make deps' (Debian package chromium)", chromium, err)
	}
	h := hub.Start(t)
	seedFleet(t, h)
	url := serve(t, h.Client, h.Namespace)
	getState(t, url)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// The flags keep Chromium off the network it would otherwise call home
	// to. The page carries the server's last snapshot and its script draws
	// it before the load event, after which the DOM is dumped; the event
	// stream is TestEventsStreamChanges's.
	cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--user-data-dir="+t.TempDir(),
		"--timeout=5000", "--dump-dom", url+"/")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium: %v\n%s", err, out)
	}
	dom := string(out)
	for _, want := range []string{
		"prod change approval", // the gate waits for a person
		"upshift gate approve to-1-37-prod-before-0 -n " + h.Namespace, // with its command
		"prod-green 100%",                  // blue-green weights
		"prod-east 50%", "prod-canary 50%", // canary weights
		"step 2/3: 50%",
		"upshift bluegreen rollback shop-137 -n " + h.Namespace, // one-command rollback
		"to-1-37", "2/3 members", "1.36.3",
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("the page does not show %q", want)
		}
	}
	if t.Failed() {
		t.Logf("DOM:\n%s", dom)
	}
}
