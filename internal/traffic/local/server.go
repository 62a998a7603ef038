package local

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"syscall"
	"time"
)

// AddrInUseError is returned by Listen when another process holds the
// address, so a command can name the flag that picks another one.
type AddrInUseError struct {
	Addr string
	Port int
}

func (e *AddrInUseError) Error() string {
	return fmt.Sprintf("port %d is in use (%s)", e.Port, e.Addr)
}

// Listen listens on a loopback TCP address. The data plane is for this
// machine only: anything else is refused.
func Listen(addr string) (net.Listener, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("address %q: %w (use host:port, for example 127.0.0.1:8080)", addr, err)
	}
	if !loopbackHost(host) {
		return nil, fmt.Errorf("address %q is not on loopback; the local data plane listens on 127.0.0.1, ::1 or localhost only", addr)
	}
	l, err := net.Listen("tcp", addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		port, _ := strconv.Atoi(portStr)
		return nil, &AddrInUseError{Addr: addr, Port: port}
	}
	return l, err
}

func loopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// loopbackRemote reports whether a request came from this machine.
func loopbackRemote(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// serve runs h on l until ctx ends, then lets requests in flight finish
// (at most 5s) before it returns.
func serve(ctx context.Context, l net.Listener, h http.Handler) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       90 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	err := srv.Shutdown(sctx)
	<-done
	return err
}
