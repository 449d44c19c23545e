package jsonpath

import (
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/busbar/busbar/internal/jsontree"
	"github.com/busbar/busbar/internal/jsontree/javanum"
)

// errEmptyAggregation is Jayway's error for an aggregate function that
// found no numbers.
var errEmptyAggregation = errors.New("jsonpath: aggregation function attempted to calculate value using empty array")

// call evaluates a function at the end of a path on model, the node the
// path reached, following Jayway's implementations. A nil result (length()
// of a string, keys() of an array) is no match.
func (c *context) call(seg *segment, model *jsontree.Value) (*jsontree.Value, error) {
	args, err := c.funcArgs(seg)
	if err != nil {
		return nil, err
	}
	switch seg.fn {
	case "avg", "stddev", "sum", "min", "max":
		return aggregate(seg.fn, model, args)
	case "length", "size":
		if seg.inverted {
			return c.scanLength(seg)
		}
		if model.Kind == jsontree.Array || model.Kind == jsontree.Object {
			return jsontree.NewNumberInt(int64(model.Len())), nil
		}
		return nil, nil
	case "concat":
		return concat(model, args), nil
	case "append":
		if model.Kind != jsontree.Array {
			return model, nil
		}
		out := jsontree.NewArray(append(append([]*jsontree.Value(nil), model.Arr...), args...)...)
		return out, nil
	case "keys":
		if model.Kind != jsontree.Object {
			return nil, nil
		}
		return keys(model), nil
	}
	return sequence(seg.fn, model, args)
}

// funcArgs evaluates parameters: JSON literals as written, paths against
// the document root (a definite one must match).
func (c *context) funcArgs(seg *segment) ([]*jsontree.Value, error) {
	if seg.inverted && (seg.fn == "length" || seg.fn == "size") {
		return nil, nil
	}
	var out []*jsontree.Value
	for _, a := range seg.args {
		if a.lit != nil {
			out = append(out, a.lit)
			continue
		}
		s := c.sub(false)
		s.run(a.path, c.root)
		if s.err != nil {
			return nil, s.err
		}
		vals := make([]*jsontree.Value, len(s.out))
		for k, m := range s.out {
			vals[k] = m.value
		}
		switch {
		case !a.path.definite:
			out = append(out, jsontree.NewArray(vals...))
		case len(vals) == 0:
			return nil, fmt.Errorf("jsonpath: no results for path %s", a.path.src)
		default:
			out = append(out, vals[len(vals)-1])
		}
	}
	return out, nil
}

// scanLength is length() after a leading deep scan, which Jayway computes
// by appending [*] to the scan path: the sizes of all matched arrays and
// objects added up.
func (c *context) scanLength(seg *segment) (*jsontree.Value, error) {
	s := c.sub(false)
	s.run(seg.args[0].path, c.root)
	if s.err != nil {
		return nil, s.err
	}
	n := 0
	for _, m := range s.out {
		if m.value.Kind == jsontree.Array || m.value.Kind == jsontree.Object {
			n += m.value.Len()
		}
	}
	return jsontree.NewNumberInt(int64(n)), nil
}

// numbers collects the numbers of model, if it is an array, and of the
// arguments, as Jayway's aggregations do.
func numbers(model *jsontree.Value, args []*jsontree.Value) []float64 {
	var out []float64
	add := func(v *jsontree.Value) {
		if v.Kind == jsontree.Number {
			f, _ := strconv.ParseFloat(v.Str, 64)
			out = append(out, f)
		}
	}
	if model.Kind == jsontree.Array {
		for _, e := range model.Arr {
			add(e)
		}
	}
	for _, a := range args {
		if a.Kind == jsontree.Array {
			for _, e := range a.Arr {
				add(e)
			}
		} else {
			add(a)
		}
	}
	return out
}

// aggregate computes in float64 as Jayway does in Double, including its
// max() starting from Double.MIN_VALUE (the smallest positive double), so
// that max() of negative numbers is 4.9E-324 in MI and here alike.
func aggregate(fn string, model *jsontree.Value, args []*jsontree.Value) (*jsontree.Value, error) {
	nums := numbers(model, args)
	if len(nums) == 0 {
		return nil, errEmptyAggregation
	}
	var r float64
	switch fn {
	case "sum", "avg":
		for _, x := range nums {
			r += x
		}
		if fn == "avg" {
			r /= float64(len(nums))
		}
	case "stddev":
		var sum, sumSq float64
		for _, x := range nums {
			sum += x
			sumSq += x * x
		}
		n := float64(len(nums))
		r = math.Sqrt(sumSq/n - sum*sum/n/n)
	case "min":
		r = math.MaxFloat64
		for _, x := range nums {
			if r > x {
				r = x
			}
		}
	case "max":
		r = 4.9e-324
		for _, x := range nums {
			if r < x {
				r = x
			}
		}
	}
	s := javanum.DoubleString(r)
	if math.IsNaN(r) || math.IsInf(r, 0) {
		return jsontree.NewString(s), nil
	}
	return jsontree.NewNumber(s), nil
}

// concat joins the strings of model, if it is an array, and the arguments,
// where non-string scalars are written as their JSON text.
func concat(model *jsontree.Value, args []*jsontree.Value) *jsontree.Value {
	var b []byte
	if model.Kind == jsontree.Array {
		for _, e := range model.Arr {
			if e.Kind == jsontree.String {
				b = append(b, e.Str...)
			}
		}
	}
	text := func(v *jsontree.Value) {
		switch v.Kind {
		case jsontree.String:
			b = append(b, v.Str...)
		case jsontree.Null:
		default:
			b = v.AppendJSON(b)
		}
	}
	for _, a := range args {
		if a.Kind == jsontree.Array {
			for _, e := range a.Arr {
				text(e)
			}
		} else {
			text(a)
		}
	}
	return jsontree.NewString(string(b))
}

func keys(model *jsontree.Value) *jsontree.Value {
	out := jsontree.NewArray()
	seen := map[string]bool{}
	for _, m := range model.Obj {
		if !seen[m.Key] {
			seen[m.Key] = true
			out.Append(jsontree.NewString(m.Key))
		}
	}
	return out
}

// sequence is first(), last() and index(n). It keeps Jayway's off-by-one:
// a negative position that lands on element 0 is an error, so last() of a
// one-element array fails in MI and here.
func sequence(fn string, model *jsontree.Value, args []*jsontree.Value) (*jsontree.Value, error) {
	if model.Kind != jsontree.Array {
		return nil, errEmptyAggregation
	}
	var target int
	switch fn {
	case "last":
		target = -1
	case "index":
		nums := numbers(jsontree.NewNull(), args)
		if len(nums) == 0 {
			return nil, errors.New("jsonpath: index() needs a number argument")
		}
		target = int(nums[0])
	}
	n := len(model.Arr)
	if target < 0 {
		target += n
		if target <= 0 {
			return nil, fmt.Errorf("jsonpath: target index larger than object count %d", n)
		}
	}
	if target >= n {
		return nil, fmt.Errorf("jsonpath: index %d out of bounds for length %d", target, n)
	}
	return model.Arr[target], nil
}
