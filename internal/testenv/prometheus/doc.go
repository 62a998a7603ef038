// Package prometheus starts a real Prometheus server for tests: Debian's
// /usr/bin/prometheus (package prometheus, installed by `make deps`) on a
// free loopback port, with a generated configuration, a temporary TSDB and a
// 1s scrape interval, scraping loopback targets that the test serves
// (Serve turns a client_golang registry into one).
//
//	import (
//		client "github.com/prometheus/client_golang/prometheus"
//		promtest "upshift.dev/upshift/internal/testenv/prometheus"
//	)
//
//	reg := client.NewRegistry()
//	reg.MustRegister(requests)
//	srv := promtest.Start(t, promtest.Options{Targets: []string{promtest.Serve(t, reg)}})
//	srv.WaitForTargets(t)
//	v := srv.Query(t, `sum(requests_total)`)
//
// Targets can also be added after the start (AddTargets), through a file
// service discovery that Prometheus watches, for tests whose endpoints come
// up later. The server stops when the test ends; its log is printed if the
// test failed. A missing binary fails the test with the command that
// installs it: these tests are never skipped.
package prometheus
