package localfleet

import (
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
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

// portAllocator remembers what this process handed out, so parallel
// cluster starts never share a port; other processes are avoided by
// checking that a port is free and by picking at random.
type portAllocator struct {
	mu   sync.Mutex
	used map[int]bool
}

var ports = &portAllocator{used: map[int]bool{}}

func (a *portAllocator) allocate() (Ports, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	var got []int
	for tries := 0; len(got) < 6 && tries < 1000; tries++ {
		p := portLow + rand.IntN(portHigh-portLow)
		if a.used[p] || !portFree(p) {
			continue
		}
		a.used[p] = true
		got = append(got, p)
	}
	if len(got) < 6 {
		return Ports{}, fmt.Errorf("no free loopback ports between %d and %d", portLow, portHigh)
	}
	return Ports{got[0], got[1], got[2], got[3], got[4], got[5]}, nil
}

// release lets ports be handed out again once a cluster is gone.
func (a *portAllocator) release(p Ports) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, n := range []int{p.KubeApiserver, p.Etcd, p.EtcdPeer, p.KubeControllerManager, p.KubeScheduler, p.KwokController} {
		delete(a.used, n)
	}
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
