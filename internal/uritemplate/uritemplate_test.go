package uritemplate_test

import (
	"maps"
	"testing"

	"github.com/busbar/busbar/internal/uritemplate"
)

func TestTemplateMatch(t *testing.T) {
	t.Parallel()
	cases := []struct {
		tmpl, path, query string
		ok                bool
		vars              map[string]string
	}{
		{"/{id}", "/42", "", true, map[string]string{"id": "42"}},
		{"/{id}", "/42/", "", true, map[string]string{"id": "42"}},
		{"/{id}", "/42/x", "", false, nil},
		{"/{id}", "/a%20b", "", true, map[string]string{"id": "a b"}},
		{"/orders/{id}/items/{item}", "/orders/1/items/2", "", true, map[string]string{"id": "1", "item": "2"}},
		{"/{+path}", "/a/b/c", "", true, map[string]string{"path": "a/b/c"}},
		{"/files/*", "/files/a/b", "", true, map[string]string{}},
		{"/search?q={q}&n={n}", "/search", "n=2&q=x", true, map[string]string{"q": "x", "n": "2"}},
		{"/search?q={q}", "/search", "other=1", false, nil},
		{"/search?q={q}", "/search", "q=a&extra=1", true, map[string]string{"q": "a"}},
		{"/static", "/static", "anything=1", true, map[string]string{}},
		{"/x.{ext}", "/x.json", "", true, map[string]string{"ext": "json"}},
	}
	for _, tc := range cases {
		tm, err := uritemplate.Parse(tc.tmpl)
		if err != nil {
			t.Fatalf("%s: %v", tc.tmpl, err)
		}
		got := map[string]string{}
		ok := tm.Match(tc.path, tc.query, func(k, v string) { got[k] = v })
		if ok != tc.ok || (ok && !maps.Equal(got, tc.vars)) {
			t.Errorf("%s match %s?%s = %v %v, want %v %v", tc.tmpl, tc.path, tc.query, ok, got, tc.ok, tc.vars)
		}
	}
	for _, bad := range []string{"no-slash", "/{a", "/{}", "/{a/b}"} {
		if _, err := uritemplate.Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}

func TestMapping(t *testing.T) {
	t.Parallel()
	cases := []struct {
		mapping, path string
		ok            bool
	}{
		{"/exact", "/exact", true}, {"/exact", "/exact/x", false},
		{"/pre/*", "/pre", true}, {"/pre/*", "/pre/a/b", true}, {"/pre/*", "/prefix", false},
		{"*.jsp", "/a/b.jsp", true}, {"*.jsp", "/a/b.jspx", false},
		{"/*", "/anything", true}, {"/", "/anything", true},
	}
	for _, tc := range cases {
		m, err := uritemplate.ParseMapping(tc.mapping)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.Match(tc.path, "", nil); got != tc.ok {
			t.Errorf("%s match %s = %v", tc.mapping, tc.path, got)
		}
	}
	if _, err := uritemplate.ParseMapping("/a*b"); err == nil {
		t.Error("bad mapping accepted")
	}
}

// TestExpand covers RFC 6570's operators as http endpoints use them.
func TestExpand(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"uri.var.id": "a b/c", "q": "x&y", "empty": "", "list": "red"}
	lookup := func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
	cases := []struct{ tmpl, want string }{
		{"http://h/items/{uri.var.id}", "http://h/items/a%20b%2Fc"},
		{"http://h/{+uri.var.id}", "http://h/a%20b/c"},
		{"http://h/s{?q,missing}", "http://h/s?q=x%26y"},
		{"http://h/s{?q}{&list}", "http://h/s?q=x%26y&list=red"},
		{"http://h{/list}", "http://h/red"},
		{"http://h/x{;empty}", "http://h/x;empty"},
		{"http://h/{missing}", "http://h/"},
		{"http://h/{list:2}", "http://h/re"},
		{"http://h/x{#list}", "http://h/x#red"},
		{"http://h/x{.list}", "http://h/x.red"},
	}
	for _, tc := range cases {
		e, err := uritemplate.ParseExpansion(tc.tmpl)
		if err != nil {
			t.Fatal(err)
		}
		if got := e.Expand(lookup); got != tc.want {
			t.Errorf("%s = %s, want %s", tc.tmpl, got, tc.want)
		}
	}
}
