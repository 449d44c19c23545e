package main

import (
	"strings"
	"testing"
)

const sampleWrkOutput = `Running 3s test @ http://127.0.0.1:20001/services/DirectProxy
  1 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.01ms  512.30us  12.40ms   90.11%
    Req/Sec    24.90k     1.02k   26.31k    73.33%
  74321 requests in 3.00s, 84.12MB read
Requests/sec:  24773.41
Transfer/sec:     28.04MB
BUSBAR-BENCH requests=74321 duration_us=3000123 bytes=88210000 connect=0 read=1 write=0 status=12 timeout=3 p50_us=1950 p90_us=2400 p99_us=4100 max_us=12400
`

func TestParseWrk(t *testing.T) {
	r, err := parseWrk(sampleWrkOutput)
	if err != nil {
		t.Fatal(err)
	}
	want := wrkResult{Requests: 74321, DurationUS: 3000123, Bytes: 88210000, ErrRead: 1, ErrStatus: 12, ErrTimeout: 3, P50US: 1950, P90US: 2400, P99US: 4100, MaxUS: 12400}
	if r != want {
		t.Fatalf("got %+v\nwant %+v", r, want)
	}
	if got := r.errorCount(); got != 16 {
		t.Errorf("errorCount = %d, want 16", got)
	}
	// Status errors are not throughput.
	if got, want := r.okRPS(), float64(74321-12)/3.000123; got < want-0.01 || got > want+0.01 {
		t.Errorf("okRPS = %f, want %f", got, want)
	}
}

func TestParseWrkFloatNotation(t *testing.T) {
	r, err := parseWrk("BUSBAR-BENCH requests=1e+06 duration_us=5000000 bytes=2.5e+09 connect=0 read=0 write=0 status=0 timeout=0 p50_us=1000.0 p90_us=2000 p99_us=3000 max_us=4000\n")
	if err != nil {
		t.Fatal(err)
	}
	if r.Requests != 1000000 || r.Bytes != 2500000000 || r.P50US != 1000 {
		t.Fatalf("got %+v", r)
	}
}

func TestParseWrkErrors(t *testing.T) {
	for name, out := range map[string]string{
		"no line":       "Running 1s test\nRequests/sec: 10\n",
		"missing field": "BUSBAR-BENCH requests=1 duration_us=2\n",
		"unknown field": "BUSBAR-BENCH requests=1 duration_us=2 bytes=3 connect=0 read=0 write=0 status=0 timeout=0 p50_us=1 p90_us=1 p99_us=1 max_us=1 extra=1\n",
		"not a number":  "BUSBAR-BENCH requests=x duration_us=2 bytes=3 connect=0 read=0 write=0 status=0 timeout=0 p50_us=1 p90_us=1 p99_us=1 max_us=1\n",
	} {
		if _, err := parseWrk(out); err == nil {
			t.Errorf("%s: parsed without error", name)
		}
	}
}

func TestLuaScript(t *testing.T) {
	s := luaScript(`/tmp/a "b"/body`, "text/xml; charset=UTF-8", [][2]string{{"X-Route", "echo"}})
	for _, want := range []string{
		`io.open("/tmp/a \"b\"/body", "rb")`,
		`wrk.method = "POST"`,
		`wrk.headers["Content-Type"] = "text/xml; charset=UTF-8"`,
		`wrk.headers["X-Route"] = "echo"`,
		`function done(summary, latency, requests)`,
		resultMarker + ` requests=%d`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("script lacks %q:\n%s", want, s)
		}
	}
}

func TestWrkSeconds(t *testing.T) {
	for d, want := range map[string]int{"0s": 1, "400ms": 1, "3s": 3, "2.6s": 3, "1m": 60} {
		dur, _ := parseDelay(d)
		if got := wrkSeconds(dur); got != want {
			t.Errorf("wrkSeconds(%s) = %d, want %d", d, got, want)
		}
	}
}
