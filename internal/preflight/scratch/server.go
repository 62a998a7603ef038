package scratch

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"k8s.io/client-go/rest"

	"upshift.dev/upshift/internal/toolchain"
)

// Options shape a server.
type Options struct {
	// Binaries are the kube-apiserver and etcd to run
	// (toolchain.Cache.Ensure returns them).
	Binaries toolchain.Binaries
	// RuntimeConfig is kube-apiserver's --runtime-config, for example
	// "api/beta=true" to serve every beta API. Empty keeps the defaults.
	RuntimeConfig string
	// DisableAdmissionPlugins are turned off, for example ServiceAccount
	// and Priority, which reject pods that name objects the scratch server
	// does not have.
	DisableAdmissionPlugins []string
	// StartTimeout bounds the wait for /readyz. 90s when zero.
	StartTimeout time.Duration
}

// Server is a running scratch API server.
type Server struct {
	// Config reaches the server as a cluster admin (system:masters).
	Config *rest.Config
	// Version is the server's Kubernetes version.
	Version string

	dir   string
	procs []*proc
}

// proc is a started process; done closes when it has exited.
type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
}

// Start starts etcd and kube-apiserver and waits until the API server is
// ready. Call Stop when done, also after an error-free Start. ctx bounds the
// start only; the processes run until Stop.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if opts.Binaries.KubeApiserver == "" || opts.Binaries.Etcd == "" {
		return nil, errors.New("scratch: no kube-apiserver or etcd binary; get them from toolchain.Cache.Ensure")
	}
	dir, err := os.MkdirTemp("", "upshift-scratch-")
	if err != nil {
		return nil, fmt.Errorf("scratch: %w", err)
	}
	s := &Server{dir: dir, Version: opts.Binaries.KubernetesVersion}
	if err := s.start(ctx, opts); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

func (s *Server) start(ctx context.Context, opts Options) error {
	ports, err := freePorts(3)
	if err != nil {
		return err
	}
	etcdClient, etcdPeer, apiPort := ports[0], ports[1], ports[2]
	etcdURL := fmt.Sprintf("http://127.0.0.1:%d", etcdClient)
	peerURL := fmt.Sprintf("http://127.0.0.1:%d", etcdPeer)
	if err := s.run("etcd", opts.Binaries.Etcd,
		"--name=scratch", "--data-dir="+filepath.Join(s.dir, "etcd"),
		"--listen-client-urls="+etcdURL, "--advertise-client-urls="+etcdURL,
		"--listen-peer-urls="+peerURL, "--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=scratch="+peerURL, "--log-level=warn", "--unsafe-no-fsync=true",
	); err != nil {
		return err
	}

	token, err := randomHex(24)
	if err != nil {
		return err
	}
	tokens := filepath.Join(s.dir, "tokens.csv")
	if err := os.WriteFile(tokens, []byte(token+",upshift-admin,upshift-admin,system:masters\n"), 0o600); err != nil {
		return fmt.Errorf("scratch: %w", err)
	}
	saKey := filepath.Join(s.dir, "sa.key")
	if err := writeRSAKey(saKey); err != nil {
		return err
	}
	args := []string{
		"--etcd-servers=" + etcdURL,
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", "--secure-port=" + strconv.Itoa(apiPort),
		"--cert-dir=" + filepath.Join(s.dir, "certs"),
		"--token-auth-file=" + tokens,
		"--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + saKey, "--service-account-signing-key-file=" + saKey,
		"--service-cluster-ip-range=10.0.0.0/24",
		"--endpoint-reconciler-type=none",
		"--allow-privileged=true",
		"--profiling=false",
	}
	if opts.RuntimeConfig != "" {
		args = append(args, "--runtime-config="+opts.RuntimeConfig)
	}
	if len(opts.DisableAdmissionPlugins) > 0 {
		args = append(args, "--disable-admission-plugins="+strings.Join(opts.DisableAdmissionPlugins, ","))
	}
	if err := s.run("kube-apiserver", opts.Binaries.KubeApiserver, args...); err != nil {
		return err
	}
	s.Config = &rest.Config{
		Host:            fmt.Sprintf("https://127.0.0.1:%d", apiPort),
		BearerToken:     token,
		TLSClientConfig: rest.TLSClientConfig{Insecure: true}, // a self-signed loopback server we just started
		QPS:             100, Burst: 200,
		UserAgent: "upshift-scratch",
	}
	timeout := opts.StartTimeout
	if timeout == 0 {
		timeout = 90 * time.Second
	}
	return s.waitReady(ctx, timeout, token)
}

// run starts one process with its output in a log file.
func (s *Server) run(name, bin string, args ...string) error {
	logf, err := os.Create(filepath.Join(s.dir, name+".log"))
	if err != nil {
		return fmt.Errorf("scratch: %w", err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = procAttr()
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("scratch: cannot start %s (%s): %w", name, bin, err)
	}
	p := &proc{name: name, cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); logf.Close(); close(p.done) }()
	s.procs = append(s.procs, p)
	return nil
}

func (s *Server) waitReady(ctx context.Context, timeout time.Duration, token string) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} //nolint:gosec // loopback scratch server
	var last string
	for {
		for _, p := range s.procs {
			select {
			case <-p.done:
				return fmt.Errorf("scratch: %s exited before the API server was ready; its log ends: %s", p.name, s.logTail(p.name))
			default:
			}
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.Config.Host+"/readyz", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err == nil {
			body := make([]byte, 512)
			n, _ := resp.Body.Read(body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = fmt.Sprintf("/readyz %d: %s", resp.StatusCode, bytes.TrimSpace(body[:n]))
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("scratch: kube-apiserver %s not ready after %s (%s); its log ends: %s", s.Version, timeout, last, s.logTail("kube-apiserver"))
		case <-time.After(300 * time.Millisecond):
		}
	}
}

// logTail returns the last lines of a process log, for errors.
func (s *Server) logTail(name string) string {
	b, err := os.ReadFile(filepath.Join(s.dir, name+".log"))
	if err != nil {
		return "(no log)"
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 8 {
		lines = lines[len(lines)-8:]
	}
	return strings.Join(lines, "\n")
}

// Stop kills the processes and removes the data directory. It is safe to
// call more than once.
func (s *Server) Stop() {
	for i := len(s.procs) - 1; i >= 0; i-- {
		p := s.procs[i]
		_ = p.cmd.Process.Kill()
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
		}
	}
	s.procs = nil
	if s.dir != "" {
		_ = os.RemoveAll(s.dir)
		s.dir = ""
	}
}

func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var out []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("scratch: no free loopback port: %w", err)
		}
		ls = append(ls, l)
		out = append(out, l.Addr().(*net.TCPAddr).Port)
	}
	return out, nil
}

func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("scratch: %w", err)
	}
	return hex.EncodeToString(b), nil
}

func writeRSAKey(path string) error {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return fmt.Errorf("scratch: %w", err)
	}
	b := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return fmt.Errorf("scratch: %w", err)
	}
	return nil
}
