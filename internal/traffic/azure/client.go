package azure

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"

	"upshift.dev/upshift/internal/azure/armclient"
)

// Options are the routers' long-lived ARM settings. The zero value uses the
// Azure public cloud with DefaultAzureCredential and the wall clock.
type Options struct {
	// Credential authenticates to ARM; DefaultAzureCredential when nil.
	Credential azcore.TokenCredential
	// ClientOptions are azcore's (cloud, transport, retry); nil means the
	// public cloud and azcore's defaults: three retries of 408, 429 and
	// 5xx, honouring Retry-After up to 60 s.
	ClientOptions *arm.ClientOptions
	// Clock times the DNS router's TTL waits; the wall clock when nil.
	Clock armclient.Clock
}

const (
	moduleName    = "upshift/traffic/azure"
	moduleVersion = "v0.1.0"
	// maxAttempts bounds read-modify-write rounds lost to 412.
	maxAttempts = 5
)

// conn sends ARM REST requests through azcore's ARM pipeline.
type conn struct {
	client *arm.Client
	clock  armclient.Clock
}

func newConn(o Options) (*conn, error) {
	cred, err := armclient.Credential(o.Credential)
	if err != nil {
		return nil, err
	}
	c, err := arm.NewClient(moduleName, moduleVersion, cred, o.ClientOptions)
	if err != nil {
		return nil, fmt.Errorf("set up the ARM client: %w", err)
	}
	clk := o.Clock
	if clk == nil {
		clk = armclient.RealClock{}
	}
	return &conn{client: c, clock: clk}, nil
}

// response is a successful ARM answer.
type response struct {
	status int
	etag   string
	body   []byte
}

// do sends method to path (an ARM resource path) with api-version, an
// optional JSON body and If-Match, and returns the answer, or the ARM
// error as an *azcore.ResponseError for armclient.Wrap.
func (c *conn) do(ctx context.Context, method, path, apiVersion string, body any, ifMatch string) (response, error) {
	req, err := runtime.NewRequest(ctx, method, runtime.JoinPaths(c.client.Endpoint(), path))
	if err != nil {
		return response{}, err
	}
	q := url.Values{"api-version": {apiVersion}}
	req.Raw().URL.RawQuery = q.Encode()
	req.Raw().Header.Set("Accept", "application/json")
	if ifMatch != "" {
		req.Raw().Header.Set("If-Match", ifMatch)
	}
	if body != nil {
		if err := runtime.MarshalAsJSON(req, body); err != nil {
			return response{}, err
		}
	}
	resp, err := c.client.Pipeline().Do(req)
	if err != nil {
		return response{}, err
	}
	if !runtime.HasStatusCode(resp, http.StatusOK, http.StatusCreated) {
		return response{}, runtime.NewResponseError(resp)
	}
	payload, err := runtime.Payload(resp)
	if err != nil {
		return response{}, err
	}
	return response{status: resp.StatusCode, etag: resp.Header.Get("ETag"), body: payload}, nil
}

// preconditionFailed reports whether err is a 412 from ARM.
func preconditionFailed(err error) bool {
	return armclient.StatusOf(err) == http.StatusPreconditionFailed
}
