package processor

import (
	"strings"
	"testing"
	"time"
)

// TestParseCronErrors: what Quartz refuses, Busbar refuses at load, with
// a message naming the field; L, W and # are refused as not supported yet.
func TestParseCronErrors(t *testing.T) {
	t.Parallel()
	cases := []struct{ expr, want string }{
		{"* * * * *", "has 5 fields"},
		{"0 0 12 * * ? 2030 x", "has 8 fields"},
		{"0 0 12 * * *", "exactly one of day-of-month and day-of-week"},
		{"0 0 12 ? * ?", "exactly one of day-of-month and day-of-week"},
		{"? 0 12 * * ?", `"?" is allowed only in day-of-month and day-of-week`},
		{"60 0 12 * * ?", "seconds: 60 is out of range 0-59"},
		{"0 0 24 * * ?", "hours: 24 is out of range 0-23"},
		{"0 0 12 0 * ?", "day-of-month: 0 is out of range 1-31"},
		{"0 0 12 ? * 0", "day-of-week: 0 is out of range 1-7"},
		{"0 0 12 * 13 ?", "month: 13 is out of range 1-12"},
		{"0 0 12 * FOO ?", `month: "FOO" is not a number or a month name`},
		{"0 0 12 L * ?", `day-of-month "L": Quartz's L, W and # are not supported yet`},
		{"0 0 12 15W * ?", `day-of-month "15W": Quartz's L, W and # are not supported yet`},
		{"0 0 12 ? * 6L", `day-of-week "6L": Quartz's L, W and # are not supported yet`},
		{"0 0 12 ? * 6#3", `day-of-week "6#3": Quartz's L, W and # are not supported yet`},
		{"0/0 * * * * ?", "seconds: increment \"0\""},
		{"/5 * * * * ?", "has no start value"},
		{"0 0 12 * * ? 1969", "year: 1969 is out of range 1970-2099"},
		{"0 0 12 * * ? 2030-2020", "runs backwards"},
	}
	for _, c := range cases {
		t.Run(c.expr, func(t *testing.T) {
			_, err := ParseCron(c.expr)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("ParseCron(%q) = %v, want an error containing %q", c.expr, err, c.want)
			}
		})
	}
}

// TestCronNext: the next firing strictly after a time, for the syntax
// Quartz users write (lists, ranges, steps, names, wrapping ranges, years).
func TestCronNext(t *testing.T) {
	t.Parallel()
	at := func(s string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04:05", s, time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	// 2026-01-01 is a Thursday.
	cases := []struct{ expr, from, want string }{
		{"* * * * * ?", "2026-01-01 00:00:00", "2026-01-01 00:00:01"},
		{"0/15 * * * * ?", "2026-01-01 00:00:01", "2026-01-01 00:00:15"},
		{"*/20 * * * * ?", "2026-01-01 00:00:40", "2026-01-01 00:01:00"},
		{"5/20 * * * * ?", "2026-01-01 00:00:45", "2026-01-01 00:01:05"},
		{"0 0 12 * * ?", "2026-01-01 12:00:00", "2026-01-02 12:00:00"},
		{"0 15 10 ? * MON-FRI", "2026-01-02 11:00:00", "2026-01-05 10:15:00"},
		{"0 15 10 ? * 2-6", "2026-01-02 11:00:00", "2026-01-05 10:15:00"},
		{"0 0/5 14,18 * * ?", "2026-01-01 14:56:00", "2026-01-01 18:00:00"},
		{"0 0-5 14 * * ?", "2026-01-01 14:05:30", "2026-01-02 14:00:00"},
		{"0 0 22-2/2 * * ?", "2026-01-01 22:30:00", "2026-01-02 00:00:00"},
		{"0 0 22-2/2 * * ?", "2026-01-02 00:00:00", "2026-01-02 02:00:00"},
		{"0 0 0 31 * ?", "2026-01-31 00:00:00", "2026-03-31 00:00:00"},
		{"0 0 0 29 FEB ?", "2026-01-01 00:00:00", "2028-02-29 00:00:00"},
		{"0 0 0 1 JAN,jul ?", "2026-01-01 00:00:00", "2026-07-01 00:00:00"},
		{"0 0 0 ? * SUN", "2026-01-01 00:00:00", "2026-01-04 00:00:00"},
		{"0 0 0 1 1 ? 2028", "2026-06-01 00:00:00", "2028-01-01 00:00:00"},
		{"0 0 0 1 1 ? 2030/5", "2030-01-01 00:00:00", "2035-01-01 00:00:00"},
	}
	for _, c := range cases {
		t.Run(c.expr+" after "+c.from, func(t *testing.T) {
			cr, err := ParseCron(c.expr)
			if err != nil {
				t.Fatal(err)
			}
			if got := cr.Next(at(c.from)); !got.Equal(at(c.want)) {
				t.Fatalf("Next = %v, want %s", got, c.want)
			}
		})
	}
}

// TestCronNeverFiresAgain: a schedule with no future firing gives the
// zero time instead of searching forever.
func TestCronNeverFiresAgain(t *testing.T) {
	t.Parallel()
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, expr := range []string{"0 0 0 1 1 ? 2025", "0 0 0 30 FEB ?"} {
		cr, err := ParseCron(expr)
		if err != nil {
			t.Fatal(err)
		}
		if got := cr.Next(from); !got.IsZero() {
			t.Fatalf("%s: Next = %v, want never", expr, got)
		}
	}
}

// TestCronKeepsLocation: firings are computed in the clock's time zone,
// as Quartz uses the server's.
func TestCronKeepsLocation(t *testing.T) {
	t.Parallel()
	loc := time.FixedZone("X", 5*3600)
	cr, err := ParseCron("0 0 9 * * ?")
	if err != nil {
		t.Fatal(err)
	}
	got := cr.Next(time.Date(2026, 1, 1, 10, 0, 0, 0, loc))
	if want := time.Date(2026, 1, 2, 9, 0, 0, 0, loc); !got.Equal(want) || got.Location() != loc {
		t.Fatalf("Next = %v, want %v", got, want)
	}
}
