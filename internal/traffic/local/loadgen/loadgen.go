package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"upshift.dev/upshift/internal/traffic/local"
)

// Bounds on a run.
const (
	MaxRate        = 20000
	MaxDuration    = 10 * time.Minute
	MaxRequests    = 2_000_000
	maxConcurrency = 1024
)

// Config describes a run. Rate and Duration are required.
type Config struct {
	// URL is requested with GET; it must be on loopback.
	URL string
	// Rate is requests per second, sent on a fixed schedule.
	Rate int
	// Duration of the run; at most MaxDuration.
	Duration time.Duration
	// Requests stops the run after that many; Rate x Duration when zero.
	Requests int
	// Concurrency bounds the requests in flight; the schedule slips when
	// it is reached (Result.Late counts the requests sent late). 128 when
	// zero.
	Concurrency int
	// Timeout of each request: 5s when zero.
	Timeout time.Duration
	// Header is sent with every request.
	Header http.Header
}

// Sample is one request.
type Sample struct {
	// Start is when the request was sent, from the start of the run: the
	// server saw it after Start and had answered by Start+Latency.
	Start   time.Duration
	Latency time.Duration
	// Code is the HTTP status; 0 when no response came (see Err).
	Code int
	// Cluster is the X-Upshift-Cluster header of the response.
	Cluster string
	Err     string
}

// Failed reports a request that got no response or a non-2xx one.
func (s Sample) Failed() bool { return s.Err != "" || s.Code < 200 || s.Code > 299 }

// Result is a finished run.
type Result struct {
	// Start is when the first request was due; Samples are relative to it.
	Start time.Time
	// Elapsed is from Start to the last answer.
	Elapsed time.Duration
	// Samples in the order they were sent.
	Samples []Sample
	// Late counts requests sent more than 10ms after they were due.
	Late int
}

func (c *Config) validate() error {
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("loadgen: URL %q is not http(s)://host:port/...", c.URL)
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("loadgen: %s is not on loopback; the load generator only targets this machine", host)
	}
	switch {
	case c.Rate <= 0 || c.Rate > MaxRate:
		return fmt.Errorf("loadgen: rate %d is out of range 1..%d", c.Rate, MaxRate)
	case c.Duration <= 0 || c.Duration > MaxDuration:
		return fmt.Errorf("loadgen: duration %s is out of range (0, %s]", c.Duration, MaxDuration)
	case c.Requests < 0 || c.Requests > MaxRequests:
		return fmt.Errorf("loadgen: requests %d is out of range 0..%d", c.Requests, MaxRequests)
	case c.Concurrency < 0 || c.Concurrency > maxConcurrency:
		return fmt.Errorf("loadgen: concurrency %d is out of range 0..%d", c.Concurrency, maxConcurrency)
	}
	if c.Requests == 0 {
		c.Requests = min(int(c.Duration.Seconds()*float64(c.Rate))+1, MaxRequests)
	}
	if c.Concurrency == 0 {
		c.Concurrency = 128
	}
	if c.Timeout <= 0 {
		c.Timeout = 5 * time.Second
	}
	return nil
}

// Run sends the load and returns every request. It ends at Duration, after
// Requests, or when ctx ends, and then waits for the requests in flight
// (at most Timeout).
func Run(ctx context.Context, c Config) (*Result, error) {
	if err := c.validate(); err != nil {
		return nil, err
	}
	tr := &http.Transport{
		Proxy:               nil,
		MaxIdleConnsPerHost: c.Concurrency,
		IdleConnTimeout:     30 * time.Second,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: c.Timeout}

	samples := make([]Sample, c.Requests)
	sem := make(chan struct{}, c.Concurrency)
	var wg sync.WaitGroup
	interval := time.Second / time.Duration(c.Rate)
	res := &Result{Start: time.Now()}
	sent := 0
	timer := time.NewTimer(0)
	defer timer.Stop()
loop:
	for sent < c.Requests {
		due := time.Duration(sent) * interval
		if due >= c.Duration {
			break
		}
		if wait := due - time.Since(res.Start); wait > 0 {
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				break loop
			case <-timer.C:
			}
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			break loop
		}
		if time.Since(res.Start)-due > 10*time.Millisecond {
			res.Late++
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			samples[i] = do(ctx, client, c, res.Start)
		}(sent)
		sent++
	}
	wg.Wait()
	res.Samples = samples[:sent]
	for _, s := range res.Samples {
		res.Elapsed = max(res.Elapsed, s.Start+s.Latency)
	}
	if sent == 0 && ctx.Err() != nil {
		return res, ctx.Err()
	}
	return res, nil
}

func do(ctx context.Context, client *http.Client, c Config, t0 time.Time) Sample {
	var s Sample
	req, err := http.NewRequestWithContext(context.WithoutCancel(ctx), http.MethodGet, c.URL, nil)
	if err != nil {
		s.Err = err.Error()
		return s
	}
	for k, v := range c.Header {
		req.Header[k] = v
	}
	// Taken last before sending, so whatever the server did with the
	// request happened after Start (and before Start+Latency).
	start := time.Since(t0)
	s.Start = start
	resp, err := client.Do(req)
	if err != nil {
		s.Latency = time.Since(t0) - start
		s.Err = err.Error()
		return s
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	s.Latency = time.Since(t0) - start
	s.Code = resp.StatusCode
	s.Cluster = resp.Header.Get(local.HeaderCluster)
	if err != nil && !errors.Is(err, io.EOF) {
		s.Err = "reading the body: " + err.Error()
	}
	return s
}
