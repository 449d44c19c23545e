package processor

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Cron is a parsed Quartz cron expression, the syntax MI's cronExpression
// parameter takes: "seconds minutes hours day-of-month month day-of-week
// [year]". Each field accepts *, single values, ranges (a-b, wrapping past
// the maximum as Quartz does, e.g. hours 22-2), lists (a,b,c) and
// increments (a/n, a-b/n, */n); months and weekdays also take their
// three-letter English names (JAN, MON), weekdays counting 1 = SUN as in
// Quartz. Exactly one of day-of-month and day-of-week must be "?", which
// Quartz requires too. Quartz's L, W and # (last day, nearest weekday,
// nth weekday) are refused as not supported yet, so a schedule that uses
// them fails loudly at load instead of firing at the wrong time.
type Cron struct {
	expr string
	sec  uint64
	min  uint64
	hour uint64
	dom  uint64
	mon  uint64
	dow  uint64
	// byDOW says the day is chosen by day-of-week (day-of-month is "?").
	byDOW bool
	// years holds the allowed years; nil means every year.
	years map[int]bool
}

// cronField describes one field: its name for errors, its range and the
// names it accepts.
type cronField struct {
	name     string
	min, max int
	names    map[string]int
}

var (
	monthNames = map[string]int{"JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6,
		"JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12}
	dayNames = map[string]int{"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}

	cronFields = [...]cronField{
		{name: "seconds", min: 0, max: 59},
		{name: "minutes", min: 0, max: 59},
		{name: "hours", min: 0, max: 23},
		{name: "day-of-month", min: 1, max: 31},
		{name: "month", min: 1, max: 12, names: monthNames},
		{name: "day-of-week", min: 1, max: 7, names: dayNames},
		{name: "year", min: 1970, max: 2099},
	}
)

const (
	fieldDOM  = 3
	fieldDOW  = 5
	fieldYear = 6
)

// ParseCron parses a Quartz cron expression (see Cron).
func ParseCron(expr string) (*Cron, error) {
	parts := strings.Fields(strings.ToUpper(expr))
	if len(parts) < 6 || len(parts) > 7 {
		return nil, fmt.Errorf("cron expression %q has %d fields; Quartz needs 6 or 7: seconds minutes hours day-of-month month day-of-week [year]", expr, len(parts))
	}
	c := &Cron{expr: expr}
	sets := make([]uint64, 6)
	noSpec := [2]bool{}
	for i, p := range parts {
		f := cronFields[i]
		if p == "?" {
			if i != fieldDOM && i != fieldDOW {
				return nil, fmt.Errorf("cron expression %q: \"?\" is allowed only in day-of-month and day-of-week, not in %s", expr, f.name)
			}
			noSpec[i/fieldDOW] = true
			continue
		}
		if i == fieldYear {
			ys, err := f.parseYears(p)
			if err != nil {
				return nil, fmt.Errorf("cron expression %q: %w", expr, err)
			}
			c.years = ys
			continue
		}
		bits, err := f.parse(p, i == fieldDOM || i == fieldDOW)
		if err != nil {
			return nil, fmt.Errorf("cron expression %q: %w", expr, err)
		}
		sets[i] = bits
	}
	// Quartz refuses both "both days given" and "neither given".
	if noSpec[0] == noSpec[1] {
		return nil, fmt.Errorf("cron expression %q: give exactly one of day-of-month and day-of-week and put \"?\" in the other (Quartz does not support both, e.g. \"0 0 12 * * ?\")", expr)
	}
	c.sec, c.min, c.hour, c.dom, c.mon, c.dow = sets[0], sets[1], sets[2], sets[3], sets[4], sets[5]
	c.byDOW = noSpec[0]
	return c, nil
}

// String returns the expression as written.
func (c *Cron) String() string { return c.expr }

// parse reads one field into a bit set: a comma-separated list of *, n,
// a-b, each optionally followed by /step.
func (f cronField) parse(s string, dayField bool) (uint64, error) {
	var bits uint64
	for _, part := range strings.Split(s, ",") {
		lo, hi, step, err := f.term(part, dayField)
		if err != nil {
			return 0, err
		}
		span := f.max - f.min + 1
		end := hi
		if hi < lo {
			// A wrapping range such as 22-2 runs past the maximum.
			end = hi + span
		}
		for v := lo; v <= end; v += step {
			x := v
			if x > f.max {
				x -= span
			}
			bits |= 1 << uint(x)
		}
	}
	return bits, nil
}

// term parses one list element into a range and a step.
func (f cronField) term(part string, dayField bool) (lo, hi, step int, err error) {
	base, stepText, hasStep := strings.Cut(part, "/")
	step = 1
	if hasStep {
		step, err = strconv.Atoi(stepText)
		if err != nil || step < 1 || step > f.max-f.min+1 {
			return 0, 0, 0, fmt.Errorf("%s: increment %q in %q must be a number from 1 to %d", f.name, stepText, part, f.max-f.min+1)
		}
	}
	switch {
	case base == "*":
		return f.min, f.max, step, nil
	case base == "":
		return 0, 0, 0, fmt.Errorf("%s: %q has no start value before \"/\" (write */n or a/n)", f.name, part)
	}
	from, to, isRange := strings.Cut(base, "-")
	if lo, err = f.value(from, dayField); err != nil {
		return 0, 0, 0, err
	}
	switch {
	case isRange:
		if hi, err = f.value(to, dayField); err != nil {
			return 0, 0, 0, err
		}
	case hasStep:
		// a/n means from a to the maximum, every n.
		hi = f.max
	default:
		hi = lo
	}
	return lo, hi, step, nil
}

// value parses a number or a name, refusing Quartz's L, W and #.
func (f cronField) value(s string, dayField bool) (int, error) {
	if n, ok := f.names[s]; ok {
		return n, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		if dayField && strings.ContainsAny(s, "LW#") {
			return 0, fmt.Errorf("%s %q: Quartz's L, W and # are not supported yet", f.name, s)
		}
		return 0, fmt.Errorf("%s: %q is not a number%s", f.name, s, f.nameHint())
	}
	if n < f.min || n > f.max {
		return 0, fmt.Errorf("%s: %d is out of range %d-%d", f.name, n, f.min, f.max)
	}
	return n, nil
}

func (f cronField) nameHint() string {
	switch {
	case f.names == nil:
		return ""
	case len(f.names) == 12:
		return " or a month name (JAN-DEC)"
	}
	return " or a day name (SUN-SAT, 1 = SUN)"
}

// parseYears reads the optional year field; the years are kept as a set
// because they do not fit a 64-bit mask.
func (f cronField) parseYears(s string) (map[int]bool, error) {
	if s == "*" {
		return nil, nil
	}
	years := map[int]bool{}
	for _, part := range strings.Split(s, ",") {
		lo, hi, step, err := f.term(part, false)
		if err != nil {
			return nil, err
		}
		if hi < lo {
			return nil, fmt.Errorf("year: range %q runs backwards", part)
		}
		for y := lo; y <= hi; y += step {
			years[y] = true
		}
	}
	return years, nil
}

// maxCronSteps bounds the search in Next; every step moves at least one
// field forward, so a satisfiable expression is found long before.
const maxCronSteps = 1 << 20

// Next returns the first instant strictly after t (to the second, in t's
// location) that the expression matches, or the zero time when it never
// fires again (a year list in the past, or 31 February).
func (c *Cron) Next(t time.Time) time.Time {
	loc := t.Location()
	t = t.Truncate(time.Second).Add(time.Second)
	for range maxCronSteps {
		y, mo, d := t.Date()
		h, mi, s := t.Clock()
		var next time.Time
		switch {
		case y > 2099:
			return time.Time{}
		case c.years != nil && !c.years[y]:
			next = time.Date(y+1, 1, 1, 0, 0, 0, 0, loc)
		case !has(c.mon, int(mo)):
			next = time.Date(y, mo+1, 1, 0, 0, 0, 0, loc)
		case !c.dayMatches(t):
			next = time.Date(y, mo, d+1, 0, 0, 0, 0, loc)
		case !has(c.hour, h):
			next = time.Date(y, mo, d, h+1, 0, 0, 0, loc)
		case !has(c.min, mi):
			next = time.Date(y, mo, d, h, mi+1, 0, 0, loc)
		case !has(c.sec, s):
			next = t.Add(time.Second)
		default:
			return t
		}
		if !next.After(t) {
			// A daylight-saving change can map the computed local time
			// back onto t; step past it.
			next = t.Add(time.Second)
		}
		t = next
	}
	return time.Time{}
}

func (c *Cron) dayMatches(t time.Time) bool {
	if c.byDOW {
		return has(c.dow, int(t.Weekday())+1)
	}
	return has(c.dom, t.Day())
}

func has(bits uint64, v int) bool { return bits&(1<<uint(v)) != 0 }
