package armserver

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"upshift.dev/upshift/internal/azure/armclient"
)

// Audience is the token audience ClientOptions configures (the public
// cloud's ARM audience; the server checks only the token).
const Audience = "https://management.core.windows.net/"

// Start serves a new server over TLS on a loopback port until the test
// ends.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	s := New(o)
	s.Serve()
	t.Cleanup(s.Close)
	return s
}

// Serve starts serving s over TLS on a loopback port, with a certificate
// that ClientOptions' transport trusts. It does nothing if s is serving.
// For demos; tests use Start.
func (s *Server) Serve() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ts == nil {
		s.ts = httptest.NewTLSServer(s)
	}
}

// Close stops serving and closes client connections.
func (s *Server) Close() {
	s.mu.Lock()
	ts := s.ts
	s.ts = nil
	s.mu.Unlock()
	if ts != nil {
		ts.Close()
	}
}

// URL is the server's base URL (https://127.0.0.1:port), or "" when it is
// not serving.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ts == nil {
		return ""
	}
	return s.ts.URL
}

// Credential returns a credential whose token the server accepts.
func (s *Server) Credential() azcore.TokenCredential {
	return armclient.StaticToken(s.opts.Token)
}

// ClientOptions returns azcore ARM client options that reach the server:
// a cloud whose Resource Manager endpoint is the server's URL, a transport
// that trusts its certificate, RP registration off, and retries with a
// short base delay so tests of 5xx stay fast (Retry-After still wins).
// Each call returns a new value the caller may change.
func (s *Server) ClientOptions() *arm.ClientOptions {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := &arm.ClientOptions{DisableRPRegistration: true}
	if s.ts == nil {
		return o
	}
	o.Cloud = cloud.Configuration{
		ActiveDirectoryAuthorityHost: s.ts.URL + "/",
		Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
			cloud.ResourceManager: {Endpoint: s.ts.URL, Audience: Audience},
		},
	}
	o.Transport = s.ts.Client()
	o.Retry = policy.RetryOptions{RetryDelay: 20 * time.Millisecond, MaxRetryDelay: 30 * time.Second}
	return o
}
