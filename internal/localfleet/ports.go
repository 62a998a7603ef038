package localfleet

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"syscall"
)

// Ports are the loopback ports of one cluster's components. kwokctl picks
// free ports by counting down from 32767 in every process, so two kwokctl
// processes started together pick the same ones; upshift hands them out
// instead.
type Ports struct {
	KubeApiserver         int `json:"kubeApiserverPort"`
	Etcd                  int `json:"etcdPort"`
	EtcdPeer              int `json:"etcdPeerPort"`
	KubeControllerManager int `json:"kubeControllerManagerPort"`
	KubeScheduler         int `json:"kubeSchedulerPort"`
	KwokController        int `json:"kwokControllerPort"`
}

// portRange stays below Linux's ephemeral range (32768+), so a port is not
// taken by some outgoing connection between a stop and a start of the
// cluster (a control-plane upgrade restarts on the same ports).
const portLow, portHigh = 20000, 32000

// The registry of ports that local clusters own, shared by every upshift
// process on the machine (ports are machine-wide). A cluster's ports stay
// reserved while it is stopped, as during a control-plane upgrade, so no
// other fleet's new cluster takes one in that window.
type portRegistry struct {
	dir string
	mu  sync.Mutex
}

// ports is process-wide on purpose: it guards a machine-wide resource.
var ports = &portRegistry{dir: filepath.Join(os.TempDir(), "upshift-ports")}

// allocate reserves six free ports for owner (a cluster directory).
func (r *portRegistry) allocate(owner string) (Ports, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	unlock, err := r.lock()
	if err != nil {
		return Ports{}, err
	}
	defer unlock()
	var got []int
	for tries := 0; len(got) < 6 && tries < 2000; tries++ {
		p := portLow + rand.IntN(portHigh-portLow)
		if slices.Contains(got, p) || r.reserved(p) || !portFree(p) {
			continue
		}
		got = append(got, p)
	}
	if len(got) < 6 {
		return Ports{}, fmt.Errorf("no free loopback ports between %d and %d", portLow, portHigh)
	}
	for _, p := range got {
		if err := os.WriteFile(filepath.Join(r.dir, strconv.Itoa(p)), []byte(owner), 0o644); err != nil {
			return Ports{}, err
		}
	}
	return Ports{got[0], got[1], got[2], got[3], got[4], got[5]}, nil
}

// reserved reports whether a living cluster owns port p; entries of
// clusters whose directory is gone are stale and removed.
func (r *portRegistry) reserved(p int) bool {
	path := filepath.Join(r.dir, strconv.Itoa(p))
	owner, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	if _, err := os.Stat(string(owner)); err == nil {
		return true
	}
	_ = os.Remove(path)
	return false
}

// release frees every port owner holds.
func (r *portRegistry) release(owner string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	unlock, err := r.lock()
	if err != nil {
		return
	}
	defer unlock()
	entries, _ := os.ReadDir(r.dir)
	for _, e := range entries {
		path := filepath.Join(r.dir, e.Name())
		if b, err := os.ReadFile(path); err == nil && string(b) == owner {
			_ = os.Remove(path)
		}
	}
}

func (r *portRegistry) lock() (func(), error) {
	if err := os.MkdirAll(r.dir, 0o777); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(r.dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}

func portFree(p int) bool {
	for _, host := range []string{"127.0.0.1", ""} {
		l, err := net.Listen("tcp", fmt.Sprintf("%s:%d", host, p))
		if err != nil {
			return false
		}
		l.Close()
	}
	return true
}
