package jsontree

import "testing"

func mustParse(t testing.TB, s string) *Value {
	t.Helper()
	v, err := Parse([]byte(s))
	if err != nil {
		t.Fatalf("Parse(%q): %v", s, err)
	}
	return v
}

func TestEditing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		edit     func(v *Value)
		want     string
	}{
		{"set replaces in place", `{"a":1,"b":2}`, func(v *Value) { v.Set("a", NewString("x")) }, `{"a":"x","b":2}`},
		{"set appends new key", `{"a":1}`, func(v *Value) { v.Set("b", NewBool(true)) }, `{"a":1,"b":true}`},
		{"set replaces last duplicate", `{"a":1,"a":2}`, func(v *Value) { v.Set("a", NewNull()) }, `{"a":1,"a":null}`},
		{"delete removes all duplicates", `{"a":1,"b":2,"a":3}`, func(v *Value) { v.Delete("a") }, `{"b":2}`},
		{"append", `[1]`, func(v *Value) { v.Append(NewNumber("2.0")) }, `[1,2.0]`},
		{"insert at front", `[1,2]`, func(v *Value) { v.Insert(0, NewString("z")) }, `["z",1,2]`},
		{"insert at end", `[1]`, func(v *Value) { v.Insert(1, NewNumberInt(-3)) }, `[1,-3]`},
		{"remove at", `[1,2,3]`, func(v *Value) { v.RemoveAt(1) }, `[1,3]`},
		{"set on array ignored", `[1]`, func(v *Value) { v.Set("a", NewNull()) }, `[1]`},
		{"append on object ignored", `{}`, func(v *Value) { v.Append(NewNull()) }, `{}`},
		{"float constructor", `[]`, func(v *Value) { v.Append(NewNumberFloat(1e21)); v.Append(NewNumberFloat(0.5)) }, `[1e+21,0.5]`},
		{"NaN becomes null", `[]`, func(v *Value) { v.Append(NewNumberFloat(nan())) }, `[null]`},
		{"constructed object", `null`, func(v *Value) {
			*v = *NewObject(Member{"k", NewArray(NewString("v"), NewNull())})
		}, `{"k":["v",null]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v := mustParse(t, tc.in)
			tc.edit(v)
			if got := v.String(); got != tc.want {
				t.Errorf("got %s; want %s", got, tc.want)
			}
		})
	}
}

func nan() float64 {
	zero := 0.0
	return zero / zero
}

func TestAccessors(t *testing.T) {
	t.Parallel()
	v := mustParse(t, `{"a":[10,20,30],"a2":{"x":1},"d":1,"d":2}`)
	tests := []struct {
		name string
		got  *Value
		want string // "" for nil
	}{
		{"get", v.Get("a2"), `{"x":1}`},
		{"get last duplicate", v.Get("d"), `2`},
		{"get missing", v.Get("zz"), ``},
		{"index", v.Get("a").Index(1), `20`},
		{"negative index", v.Get("a").Index(-1), `30`},
		{"index out of range", v.Get("a").Index(3), ``},
		{"index on object", v.Index(0), ``},
		{"get on array", v.Get("a").Get("x"), ``},
		{"get on nil", v.Get("zz").Get("x"), ``},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := ""
			if tc.got != nil {
				got = tc.got.String()
			}
			if got != tc.want {
				t.Errorf("got %q; want %q", got, tc.want)
			}
		})
	}
	if n := v.Len(); n != 4 {
		t.Errorf("Len = %d; want 4", n)
	}
}

func TestCloneIsDeep(t *testing.T) {
	t.Parallel()
	v := mustParse(t, `{"a":[1,{"b":2}]}`)
	c := v.Clone()
	c.Get("a").Index(1).Set("b", NewString("changed"))
	c.Get("a").Append(NewNull())
	if got := v.String(); got != `{"a":[1,{"b":2}]}` {
		t.Errorf("original changed: %s", got)
	}
	if !Equal(v, mustParse(t, v.String())) {
		t.Error("clone source not equal to itself reparsed")
	}
}

func TestEqual(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, a, b string
		want       bool
	}{
		{"numbers by value", `1.0`, `1`, true},
		{"exponent spelling", `[10e-1, 100]`, `[1, 1E2]`, true},
		{"different numbers", `1.01`, `1.1`, false},
		{"negative zero", `-0`, `0`, true},
		{"object order ignored", `{"a":1,"b":2}`, `{"b":2,"a":1}`, true},
		{"duplicate uses last", `{"a":1,"a":2}`, `{"a":2}`, true},
		{"missing key", `{"a":1}`, `{"a":1,"b":1}`, false},
		{"array order matters", `[1,2]`, `[2,1]`, false},
		{"kinds differ", `"1"`, `1`, false},
		{"null", `null`, `null`, true},
		{"bools", `true`, `false`, false},
		{"large objects", bigObject(20, false), bigObject(20, true), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := Equal(mustParse(t, tc.a), mustParse(t, tc.b)); got != tc.want {
				t.Errorf("Equal(%s, %s) = %v; want %v", tc.a, tc.b, got, tc.want)
			}
		})
	}
}

func bigObject(n int, reverse bool) string {
	v := NewObject()
	for i := 0; i < n; i++ {
		k := i
		if reverse {
			k = n - 1 - i
		}
		v.Set(string(rune('a'+k)), NewNumberInt(int64(k)))
	}
	return v.String()
}

func TestCompareNumbers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, a, b string
		want       int
		ok         bool
	}{
		{"equal spellings", "1.50", "15e-1", 0, true},
		{"less", "8.95", "10", -1, true},
		{"greater exponent", "1e3", "999.999", 1, true},
		{"negatives", "-2", "-10", 1, true},
		{"zero signs", "-0.0", "0", 0, true},
		{"tiny vs zero", "1e-400", "0", 1, true},
		{"huge exponent", "1e999999999999", "1e999999999998", 1, true},
		{"BigDecimal forms", ".5", "0.50", 0, true},
		{"not numbers", "abc", "1", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, ok := CompareNumbers(tc.a, tc.b)
			if got != tc.want || ok != tc.ok {
				t.Errorf("CompareNumbers(%s, %s) = %d, %v; want %d, %v", tc.a, tc.b, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestKindString(t *testing.T) {
	t.Parallel()
	if Object.String() != "object" || Kind(9).String() != "Kind(9)" {
		t.Errorf("Kind.String: %s %s", Object, Kind(9))
	}
}
