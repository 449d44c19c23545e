package javanum

import "testing"

func TestBigDecimalString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
		ok             bool
	}{
		{"integer", "100", "100", true},
		{"keeps trailing zeros", "1.50", "1.50", true},
		{"keeps scale of zero", "0.00", "0.00", true},
		{"negative zero loses sign", "-0", "0", true},
		{"negative zero with scale", "-0.0", "0.0", true},
		{"positive exponent is scientific", "1e5", "1E+5", true},
		{"exponent folds into scale", "12e-1", "1.2", true},
		{"mantissa with exponent", "1.5E3", "1.5E+3", true},
		{"small stays plain to 1e-6", "0.000001", "0.000001", true},
		{"smaller goes scientific", "0.0000001", "1E-7", true},
		{"small with digits", "0.00000012", "1.2E-7", true},
		{"negative", "-500.0", "-500.0", true},
		{"leading zeros dropped", "007", "7", true},
		{"plus sign accepted", "+1", "1", true},
		{"bare fraction", ".5", "0.5", true},
		{"trailing point", "1.", "1", true},
		{"zero with exponent", "0e3", "0E+3", true},
		{"not a number", "abc", "", false},
		{"empty exponent", "1e", "", false},
		{"lone point", ".", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, ok := BigDecimalString(tc.in)
			if got != tc.want || ok != tc.ok {
				t.Errorf("BigDecimalString(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
}

var tenth = 0.1

func TestDoubleString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   float64
		want string
	}{
		{"integral gets .0", 6, "6.0"},
		{"fraction", 8.95, "8.95"},
		{"lower plain bound", 0.001, "0.001"},
		{"below plain range", 0.0001, "1.0E-4"},
		{"upper plain range", 9999999, "9999999.0"},
		{"at 1e7", 1e7, "1.0E7"},
		{"large with digits", 1.2345e10, "1.2345E10"},
		{"negative", -2.5, "-2.5"},
		{"zero", 0, "0.0"},
		{"smallest positive", 4.9e-324, "4.9E-324"},
		{"sum rounding", tenth + 2*tenth, "0.30000000000000004"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := DoubleString(tc.in); got != tc.want {
				t.Errorf("DoubleString(%v) = %q; want %q", tc.in, got, tc.want)
			}
		})
	}
}
