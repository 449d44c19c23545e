package cli_test

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/busbar/busbar/internal/admin"
	"github.com/busbar/busbar/internal/cli"
	"github.com/busbar/busbar/internal/engine"
	"github.com/busbar/busbar/internal/testkit"
)

const ctlToken = "ctl-test-token"

type graphOf struct{ g *engine.Graph }

func (s graphOf) Graph() *engine.Graph { return s.g }

// adminServer serves the management API over two endpoints.
func adminServer(t *testing.T) string {
	t.Helper()
	g := testkit.Graph(t, `
<endpoint name="Orders"><address uri="http://127.0.0.1:1/orders"><suspendOnFailure><initialDuration>1000</initialDuration></suspendOnFailure></address></endpoint>
<endpoint name="Stock"><http uri-template="http://127.0.0.1:1/stock/{uri.var.id}"/></endpoint>`)
	s := httptest.NewServer(admin.Handler(graphOf{g}, admin.Options{Token: ctlToken}))
	t.Cleanup(s.Close)
	return s.URL
}

func ctl(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = cli.Main(append([]string{"ctl"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

// TestCtlEndpoints: list, deactivate, show and activate, as an operator
// would with mi get/deactivate/activate endpoint.
func TestCtlEndpoints(t *testing.T) {
	t.Parallel()
	u := adminServer(t)
	auth := []string{"--url", u, "--token", ctlToken}
	steps := []struct {
		args []string
		want []string
	}{
		{[]string{"endpoints"}, []string{"NAME", "STATE", "Orders", "address", "ACTIVE", "Stock", "http"}},
		{[]string{"endpoints", "deactivate", "Orders"}, []string{"Orders is switched Off\n"}},
		{[]string{"endpoints"}, []string{"OFF", "false"}},
		{[]string{"endpoints", "Orders"}, []string{"Name:", "Orders", "State:", "OFF", "Suspend on:", "any error code; first 1000 ms", "Transitions:", "ACTIVE -> OFF", "switched off", "Configuration:", `<address uri="http://127.0.0.1:1/orders">`}},
		{[]string{"endpoints", "activate", "Orders"}, []string{"Orders is switched On\n"}},
		{[]string{"endpoints", "Orders"}, []string{"OFF -> ACTIVE"}},
	}
	for _, s := range steps {
		code, out, errs := ctl(append(s.args, auth...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", s.args, code, errs)
		}
		for _, w := range s.want {
			if !strings.Contains(out, w) {
				t.Errorf("%v: output lacks %q:\n%s", s.args, w, out)
			}
		}
	}
	code, out, _ := ctl(append([]string{"endpoints", "--json"}, auth...)...)
	var l admin.EndpointList
	if code != 0 || json.Unmarshal([]byte(out), &l) != nil || l.Count != 2 || l.List[0].State != "ACTIVE" {
		t.Fatalf("--json: %d %s", code, out)
	}
}

// TestCtlErrors: API refusals exit 1 with a hint, usage errors exit 2.
func TestCtlErrors(t *testing.T) {
	t.Parallel()
	u := adminServer(t)
	empty := t.TempDir()
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown endpoint", []string{"endpoints", "Nope", "--url", u, "--token", ctlToken}, 1, "endpoint Nope does not exist"},
		{"unknown switch", []string{"endpoints", "activate", "Nope", "--url", u, "--token", ctlToken}, 1, "endpoint Nope does not exist"},
		{"wrong token", []string{"endpoints", "--url", u, "--token", "wrong"}, 1, "refused the token from --token (401)"},
		{"unreachable", []string{"endpoints", "--url", "http://" + closedAddr(t), "--token", "x"}, 1, "cannot reach the management API"},
		{"bad url", []string{"endpoints", "--url", "127.0.0.1:9164", "--token", "x"}, 2, "is not an http(s) URL"},
		{"no name", []string{"endpoints", "activate", "--url", u}, 2, "accepts 1 arg"},
		{"two names", []string{"endpoints", "a", "b", "--url", u}, 2, "accepts at most 1 arg"},
		{"unknown command", []string{"nothing"}, 2, "unknown command"},
		{"no token", []string{"endpoints", "--url", u, "--data-dir", empty, "--token", ""}, 2, "no management token"},
	}
	for _, c := range cases {
		if c.name == "no token" && os.Getenv(admin.TokenEnv) != "" {
			continue // the environment supplies a token
		}
		code, _, errs := ctl(c.args...)
		if code != c.code || !strings.Contains(errs, c.want) {
			t.Errorf("%s: exit %d, stderr %q", c.name, code, errs)
		}
	}
}

// TestCtlTokenFromDataDir: without --token or BUSBAR_ADMIN_TOKEN, ctl
// reads the token file busbar run writes.
func TestCtlTokenFromDataDir(t *testing.T) {
	t.Setenv(admin.TokenEnv, "")
	u := adminServer(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, admin.TokenFile), []byte(ctlToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := ctl("endpoints", "Stock", "--url", u+"/", "--data-dir", dir); code != 0 || !strings.Contains(out, "Type:") {
		t.Fatalf("exit %d: %s%s", code, out, errs)
	}
	t.Setenv(admin.TokenEnv, "from-env")
	if code, _, errs := ctl("endpoints", "--url", u, "--data-dir", dir); code != 1 || !strings.Contains(errs, "token from BUSBAR_ADMIN_TOKEN") {
		t.Fatalf("the environment should win over the file: exit %d %s", code, errs)
	}
}

func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestManagementAPIEndToEnd: the real binary writes a private token file
// (and logs its path, never the token), refuses calls without it, and ctl
// with --data-dir sees an endpoint suspended by a refused connection and
// switches it off.
func TestManagementAPIEndToEnd(t *testing.T) {
	t.Setenv(admin.TokenEnv, "") // the binary inherits it; empty means unset
	dir, data := t.TempDir(), t.TempDir()
	mustWrite(t, filepath.Join(dir, "endpoints", "Down.xml"), `<endpoint xmlns="http://ws.apache.org/ns/synapse" name="Down"><address uri="http://`+closedAddr(t)+`/x"/></endpoint>`)
	mustWrite(t, filepath.Join(dir, "api", "a.xml"), `<api xmlns="http://ws.apache.org/ns/synapse" name="a" context="/a"><resource methods="GET"><inSequence><call><endpoint key="Down"/></call><respond/></inSequence></resource></api>`)
	_, httpAddr, mgmtAddr, logs := started(t, "run", "--http-port", "0", "--http-bind", "127.0.0.1", "--mgmt-port", "0", "--log-format", "json", "--data-dir", data, dir)

	path := filepath.Join(data, admin.TokenFile)
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file: %v %v", fi, err)
	}
	tok, _ := admin.ReadToken(path)
	if !strings.Contains(logs.String(), `"management_token":"`+path+`"`) || strings.Contains(logs.String(), tok) {
		t.Fatalf("the start line should name the token file and never the token:\n%s", logs.String())
	}
	if r := testkit.Do(t, "GET", "http://"+mgmtAddr+"/management/endpoints", "", ""); r.Status != 401 {
		t.Fatalf("without a token: %d %s", r.Status, r.Body)
	}
	testkit.Do(t, "GET", "http://"+httpAddr+"/a", "", "")
	flags := []string{"--url", "http://" + mgmtAddr, "--data-dir", data}
	code, out, errs := ctl(append([]string{"endpoints", "Down"}, flags...)...)
	if code != 0 || !strings.Contains(out, "SUSPENDED") || !strings.Contains(out, "101503") {
		t.Fatalf("exit %d: %s%s", code, out, errs)
	}
	if code, out, _ := ctl(append([]string{"endpoints", "deactivate", "Down"}, flags...)...); code != 0 || out != "Down is switched Off\n" {
		t.Fatalf("deactivate: %d %q", code, out)
	}
	if code, out, _ := ctl(append([]string{"endpoints"}, flags...)...); code != 0 || !strings.Contains(out, "OFF") {
		t.Fatalf("list: %d %q", code, out)
	}
}
