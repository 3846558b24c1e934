package localalb

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"testing"
	"time"
)

// reportLatency reports p50/p99 in microseconds and the request rate of the
// timed loop (elapsed) next to ns/op, and returns the p50 in microseconds.
func reportLatency(b *testing.B, d []time.Duration, elapsed time.Duration) float64 {
	if len(d) == 0 {
		return 0
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	pct := func(p float64) float64 { return float64(d[int(p*float64(len(d)-1))].Nanoseconds()) / 1e3 }
	b.ReportMetric(pct(0.50), "p50-µs")
	b.ReportMetric(pct(0.99), "p99-µs")
	if elapsed > 0 {
		b.ReportMetric(float64(len(d))/elapsed.Seconds(), "req/s")
	}
	return pct(0.50)
}

// directP50 is the p50 of the last BenchmarkDirectRIE run in this process
// (0: none). BenchmarkThroughALB, which runs after it in the same `go test`
// invocation, reports its own p50 minus this as overhead-p50-µs.
var directP50 float64

// BenchmarkDirectRIE invokes the tenant-A RIE directly with the event the ALB
// would send: the baseline for BenchmarkThroughALB.
func BenchmarkDirectRIE(b *testing.B) {
	s := startStack(b, nil)
	tg := s.alb.Model().TargetGroups["TenantTargetGroupTenantA"]
	payload, err := buildEvent(tg, "GET", "/orders/7", "x=1", []headerField{
		{"host", "127.0.0.1"}, {"authorization", "Bearer " + s.idp.token(b, "tenant-A", nil)},
		{"x-forwarded-for", "127.0.0.1"}, {"x-forwarded-port", "443"}, {"x-forwarded-proto", "https"},
		{"x-amzn-trace-id", newTraceID(time.Now())}, {"user-agent", "Go-http-client/1.1"}, {"accept-encoding", "gzip"},
	}, nil, "")
	if err != nil {
		b.Fatal(err)
	}
	inst := s.rie["TenantFunctionTenantA"]
	ctx := context.Background()
	if _, err := inst.Invoke(ctx, payload); err != nil { // warm up
		b.Fatal(err)
	}
	durations := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	loopStart := time.Now()
	for range b.N {
		start := time.Now()
		if _, err := inst.Invoke(ctx, payload); err != nil {
			b.Fatal(err)
		}
		durations = append(durations, time.Since(start))
	}
	elapsed := time.Since(loopStart)
	b.StopTimer()
	directP50 = reportLatency(b, durations, elapsed)
}

// BenchmarkThroughALB sends HTTPS requests with a valid token over a
// keep-alive connection: TLS, rule evaluation, JWT validation, rewrite,
// event mapping, the same RIE invocation and response mapping.
func BenchmarkThroughALB(b *testing.B) {
	s := startStack(b, nil)
	url := s.alb.URL(443) + "/tenant-A/orders/7?x=1"
	tok := s.idp.token(b, "tenant-A", nil)
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	do := func() {
		resp, err := s.client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
	do() // warm up: TLS handshake, JWKS fetch, bootstrap start
	durations := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	loopStart := time.Now()
	for range b.N {
		start := time.Now()
		do()
		durations = append(durations, time.Since(start))
	}
	elapsed := time.Since(loopStart)
	b.StopTimer()
	p50 := reportLatency(b, durations, elapsed)
	if directP50 > 0 {
		b.ReportMetric(p50-directP50, "overhead-p50-µs")
	}
	if n := s.alb.KeySet().Fetches(); n != 1 {
		b.Fatalf("JWKS fetched %d times while warm, want 1", n)
	}
}

// BenchmarkALBHandler measures the emulator's own work per request without
// sockets, TLS or a runtime: rule evaluation, JWT validation (warm JWKS),
// rewrite, event encoding, response mapping and the log line.
func BenchmarkALBHandler(b *testing.B) {
	env := newTestEnv(b, readTemplate(b), func(o *Options) { o.Logger = slog.New(slog.NewJSONHandler(io.Discard, nil)) })
	env.fnA.respond = func([]byte) ([]byte, error) {
		return []byte(`{"statusCode":200,"headers":{"Content-Type":"application/json"},"body":"{\"ok\":true}"}`), nil
	}
	h := env.alb.Handler(443)
	tok := env.idp.token(b, "tenant-A", nil)
	serve := func() {
		req := httptest.NewRequest("GET", "/tenant-A/orders/7?x=1", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("status %d", rec.Code)
		}
	}
	serve()
	env.fnA.payloads = nil
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		serve()
		if len(env.fnA.payloads) > 1000 {
			env.fnA.payloads = env.fnA.payloads[:0]
		}
	}
}
