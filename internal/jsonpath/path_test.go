package jsonpath

import (
	"errors"
	"strings"
	"testing"

	"github.com/busbar/busbar/internal/jsontree"
)

const bookstore = `{
  "store": {
    "book": [
      {"category": "reference", "author": "Nigel Rees", "title": "Sayings of the Century", "price": 8.95},
      {"category": "fiction", "author": "Evelyn Waugh", "title": "Sword of Honour", "price": 12.99},
      {"category": "fiction", "author": "Herman Melville", "title": "Moby Dick", "isbn": "0-553-21311-3", "price": 8.99},
      {"category": "fiction", "author": "J. R. R. Tolkien", "title": "The Lord of the Rings", "isbn": "0-395-19395-8", "price": 22.99}
    ],
    "bicycle": {"color": "red", "price": 19.95}
  },
  "expensive": 10
}`

func parse(t testing.TB, s string) *jsontree.Value {
	t.Helper()
	v, err := jsontree.Parse([]byte(s))
	if err != nil {
		t.Fatalf("parse %q: %v", s, err)
	}
	return v
}

// selectJSON returns the matches of path in doc as a JSON array.
func selectJSON(t *testing.T, path, doc string) string {
	t.Helper()
	p, err := Compile(path)
	if err != nil {
		t.Fatalf("Compile(%q): %v", path, err)
	}
	vals, err := p.Select(parse(t, doc))
	if err != nil {
		t.Fatalf("Select(%q): %v", path, err)
	}
	return jsontree.NewArray(vals...).String()
}

const (
	book0 = `{"category":"reference","author":"Nigel Rees","title":"Sayings of the Century","price":8.95}`
	book1 = `{"category":"fiction","author":"Evelyn Waugh","title":"Sword of Honour","price":12.99}`
	book2 = `{"category":"fiction","author":"Herman Melville","title":"Moby Dick","isbn":"0-553-21311-3","price":8.99}`
	book3 = `{"category":"fiction","author":"J. R. R. Tolkien","title":"The Lord of the Rings","isbn":"0-395-19395-8","price":22.99}`
	books = `[` + book0 + `,` + book1 + `,` + book2 + `,` + book3 + `]`
	bike  = `{"color":"red","price":19.95}`
)

// TestJaywayReadme runs the path examples of the Jayway JsonPath README
// against its bookstore document.
func TestJaywayReadme(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, path, want string
	}{
		{"authors of all books", `$.store.book[*].author`, `["Nigel Rees","Evelyn Waugh","Herman Melville","J. R. R. Tolkien"]`},
		{"all authors", `$..author`, `["Nigel Rees","Evelyn Waugh","Herman Melville","J. R. R. Tolkien"]`},
		{"all things in store", `$.store.*`, `[` + books + `,` + bike + `]`},
		{"price of everything in document order", `$.store..price`, `[8.95,12.99,8.99,22.99,19.95]`},
		{"third book", `$..book[2]`, `[` + book2 + `]`},
		{"second to last book", `$..book[-2]`, `[` + book2 + `]`},
		{"first two books by union", `$..book[0,1]`, `[` + book0 + `,` + book1 + `]`},
		{"slice to 2", `$..book[:2]`, `[` + book0 + `,` + book1 + `]`},
		{"slice 1 to 2", `$..book[1:2]`, `[` + book1 + `]`},
		{"last two books", `$..book[-2:]`, `[` + book2 + `,` + book3 + `]`},
		{"from index 2", `$..book[2:]`, `[` + book2 + `,` + book3 + `]`},
		{"books with isbn", `$..book[?(@.isbn)]`, `[` + book2 + `,` + book3 + `]`},
		{"cheaper than 10", `$.store.book[?(@.price < 10)]`, `[` + book0 + `,` + book2 + `]`},
		{"not expensive via root path", `$..book[?(@.price <= $['expensive'])]`, `[` + book0 + `,` + book2 + `]`},
		{"regex ignore case", `$..book[?(@.author =~ /.*REES/i)]`, `[` + book0 + `]`},
		{"number of books", `$..book.length()`, `[4]`},
		{"bracket notation", `$['store']['book'][0]['title']`, `["Sayings of the Century"]`},
		{"dot notation", `$.store.book[0].title`, `["Sayings of the Century"]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := selectJSON(t, tc.path, bookstore); got != tc.want {
				t.Errorf("%s\n got %s\nwant %s", tc.path, got, tc.want)
			}
		})
	}
}

func TestEverything(t *testing.T) {
	t.Parallel()
	got := selectJSON(t, `$..*`, `{"a":{"b":[1,{"c":2}]},"d":3}`)
	want := `[{"b":[1,{"c":2}]},3,[1,{"c":2}],1,{"c":2},2]`
	if got != want {
		t.Errorf("$..*\n got %s\nwant %s", got, want)
	}
}

func TestPathSyntax(t *testing.T) {
	t.Parallel()
	const doc = `{"a b":1,"k":{"x":1,"y":2,"z":3},"arr":[0,1,2,3,4,5],"q'uote":4,"dq\"":5,"n":null,"$ref":6,"a-b":7}`
	tests := []struct {
		name, path, want string
	}{
		{"root", `$`, `[` + doc + `]`},
		{"trailing dot dropped like SynapseJsonPath", `$.`, `[` + doc + `]`},
		{"no root prefix", `k.x`, `[1]`},
		{"double quoted name with space", `$["a b"]`, `[1]`},
		{"escaped quote in name", `$['q\'uote']`, `[4]`},
		{"double quote escaped", `$["dq\""]`, `[5]`},
		{"multiple names leaf merges", `$.k['x','z']`, `[{"x":1,"z":3}]`},
		{"multiple names skip missing", `$.k['x','nope']`, `[{"x":1}]`},
		{"multiple names then more path", `$['k','arr'][1]`, `[1]`},
		{"bracket wildcard", `$.k[*]`, `[1,2,3]`},
		{"dot wildcard on array", `$.arr.*`, `[0,1,2,3,4,5]`},
		{"negative index", `$.arr[-1]`, `[5]`},
		{"index out of range", `$.arr[9]`, `[]`},
		{"union with out of range", `$.arr[1,9,-1]`, `[1,5]`},
		{"slice negative both", `$.arr[-3:-1]`, `[3,4]`},
		{"slice positive to negative is empty in Jayway", `$.arr[1:-1]`, `[]`},
		{"slice to negative", `$.arr[:-4]`, `[0,1]`},
		{"slice beyond end", `$.arr[4:99]`, `[4,5]`},
		{"slice step ignored", `$.arr[1:3:2]`, `[1,2]`},
		{"spaces in brackets", `$[ 'k' ][ 'y' ]`, `[2]`},
		{"dot then bracket", `$.['k'].z`, `[3]`},
		{"null value matches", `$.n`, `[null]`},
		{"dollar key", `$.$ref`, `[6]`},
		{"dash in name", `$.a-b`, `[7]`},
		{"missing key", `$.nope`, `[]`},
		{"missing intermediate", `$.nope.deeper`, `[]`},
		{"property of array is no match", `$.arr.x`, `[]`},
		{"deep scan with index", `$..[1]`, `[1]`},
		{"deep scan bracket names", `$..['x','y']`, `[{"x":1,"y":2}]`},
		{"deep scan wildcard on object", `$.k..*`, `[1,2,3]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := selectJSON(t, tc.path, doc); got != tc.want {
				t.Errorf("%s\n got %s\nwant %s", tc.path, got, tc.want)
			}
		})
	}
}

func TestFilters(t *testing.T) {
	t.Parallel()
	const doc = `{"limit":10,"cats":["fiction","poetry"],"items":[
		{"id":1,"price":5,"cat":"fiction","tags":["a","b"],"name":"Alpha","ok":true,"code":"1"},
		{"id":2,"price":15.5,"cat":"reference","tags":[],"name":"beta","ok":false,"code":"02"},
		{"id":3,"price":10,"cat":"poetry","tags":["b"],"name":"Gamma","n":null},
		{"id":4,"price":"12","cat":"fiction","name":"","sizes":["S","M"]}
	]}`
	tests := []struct {
		name, filter, want string // want: ids
	}{
		{"greater than", `@.price > 10`, `[2]`},
		{"string number is not ordered against number", `@.price >= 12`, `[2]`},
		{"equal number", `@.price == 10`, `[3]`},
		{"number equals numeric string", `@.price == '10.0'`, `[3]`},
		{"string equals number by spelling", `@.code == 1`, `[1]`},
		{"number literal equals string field", `@.id == '2'`, `[2]`},
		{"not equal includes missing", `@.ok != true`, `[2,3,4]`},
		{"type safe equal", `@.code === 1`, `[]`},
		{"string compare", `@.name < 'B'`, `[1,4]`},
		{"double quoted string", `@.cat == "poetry"`, `[3]`},
		{"and", `@.cat == 'fiction' && @.price < 10`, `[1]`},
		{"or", `@.id == 1 || @.id == 3`, `[1,3]`},
		{"not group", `!(@.cat == 'fiction')`, `[2,3]`},
		{"parentheses", `(@.id == 1 || @.id == 2) && @.ok == false`, `[2]`},
		{"exists", `@.sizes`, `[4]`},
		{"not exists", `!@.tags`, `[4]`},
		{"exists of null value", `@.n`, `[3]`},
		{"compare against root path", `@.price < $.limit`, `[1]`},
		{"regex", `@.name =~ /[A-Z].*/`, `[1,3]`},
		{"regex must match whole", `@.name =~ /lph/`, `[]`},
		{"regex on number and string", `@.price =~ /1.*/`, `[2,3,4]`},
		{"in", `@.cat in ['poetry','reference']`, `[2,3]`},
		{"in with double quotes", `@.cat in ["poetry"]`, `[3]`},
		{"in root array", `@.cat in $.cats`, `[1,3,4]`},
		{"nin", `@.cat nin ['fiction']`, `[2,3]`},
		{"subsetof", `@.tags subsetof ['a','b','c']`, `[1,2,3]`},
		{"anyof", `@.tags anyof ['b']`, `[1,3]`},
		{"noneof", `@.tags noneof ['a']`, `[2,3]`},
		{"size of array", `@.tags size 2`, `[1]`},
		{"size of string", `@.name size 4`, `[2]`},
		{"empty true", `@.tags empty true`, `[2]`},
		{"empty string", `@.name empty true`, `[4]`},
		{"empty false", `@.tags empty false`, `[1,3]`},
		{"contains string", `@.name contains 'mm'`, `[3]`},
		{"operators case insensitive", `@.cat IN ['poetry']`, `[3]`},
		{"function in filter", `@.tags.length() > 1`, `[1]`},
		{"boolean literal", `@.ok == true`, `[1]`},
		{"null literal", `@.n == null`, `[3]`},
		{"no spaces", `@.price>10`, `[2]`},
		{"bracket path in filter", `@['cat']=='poetry'`, `[3]`},
		{"negative literal", `@.price > -1`, `[1,2,3]`},
		{"exponent literal", `@.price < 1e1`, `[1]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := `$.items[?(` + tc.filter + `)].id`
			if got := selectJSON(t, path, doc); got != tc.want {
				t.Errorf("%s\n got %s\nwant %s", path, got, tc.want)
			}
		})
	}
}

func TestFunctions(t *testing.T) {
	t.Parallel()
	const doc = `{"nums":[1,2,3,4],"neg":[-5,-2],"one":[7],"mixed":[1,"x",2.5],"words":["a","b"],"obj":{"k":1,"j":2},"s":"text","e":[],"deep":{"p":[1,2],"q":{"p":3}}}`
	tests := []struct {
		name, path, want string
		ok               bool
	}{
		{"length of array", `$.nums.length()`, `4`, true},
		{"size alias", `$.nums.size()`, `4`, true},
		{"length of object", `$.obj.length()`, `2`, true},
		{"length of string is nothing in Jayway", `$.s.length()`, ``, false},
		{"sum is a Java double", `$.nums.sum()`, `10.0`, true},
		{"avg", `$.nums.avg()`, `2.5`, true},
		{"min", `$.nums.min()`, `1.0`, true},
		{"max", `$.nums.max()`, `4.0`, true},
		{"max of negatives keeps Jayway's Double.MIN_VALUE start", `$.neg.max()`, `4.9E-324`, true},
		{"stddev", `$.nums.stddev()`, `1.118033988749895`, true},
		{"numbers only", `$.mixed.sum()`, `3.5`, true},
		{"sum with JSON argument", `$.nums.sum(10)`, `20.0`, true},
		{"sum with path argument", `$.one.sum($.nums)`, `17.0`, true},
		{"deep scan then function sums number matches only", `$..p.sum()`, `3.0`, true},
		{"deep scan length counts elements", `$..p.length()`, `2`, true},
		{"concat", `$.words.concat("c", 1)`, `abc1`, true},
		{"single-quoted argument ignored as in Jayway", `$.words.concat('c')`, `ab`, true},
		{"append", `$.words.append("c")`, `["a","b","c"]`, true},
		{"keys", `$.obj.keys()`, `["k","j"]`, true},
		{"first", `$.nums.first()`, `1`, true},
		{"last", `$.nums.last()`, `4`, true},
		{"index", `$.nums.index(2)`, `3`, true},
		{"negative index", `$.nums.index(-2)`, `3`, true},
		{"function then path", `$.obj.keys().first()`, `k`, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := MustCompile(tc.path)
			got, ok, err := p.EvalString(parse(t, doc))
			if err != nil {
				t.Fatalf("%s: %v", tc.path, err)
			}
			if got != tc.want || ok != tc.ok {
				t.Errorf("%s = %q, %v; want %q, %v", tc.path, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestFunctionErrors(t *testing.T) {
	t.Parallel()
	const doc = `{"e":[],"one":[7],"s":"x"}`
	for _, path := range []string{
		`$.e.avg()`,         // no numbers
		`$.s.sum()`,         // not an array
		`$.one.last()`,      // Jayway's off-by-one for one element
		`$.e.first()`,       // out of range
		`$.one.sum($.nope)`, // definite argument without match
	} {
		if _, err := MustCompile(path).Select(parse(t, doc)); err == nil {
			t.Errorf("%s: no error", path)
		}
	}
}

func TestEvalString(t *testing.T) {
	t.Parallel()
	const doc = `{"s":"text","n":1.50,"b":false,"z":null,"o":{"a":[1,"x"]},"arr":[{"id":1},{"id":2}]}`
	tests := []struct {
		name, path, want string
		ok               bool
	}{
		{"string raw", `$.s`, `text`, true},
		{"number literal", `$.n`, `1.50`, true},
		{"boolean", `$.b`, `false`, true},
		{"null", `$.z`, `null`, true},
		{"object compact", `$.o`, `{"a":[1,"x"]}`, true},
		{"array compact", `$.o.a`, `[1,"x"]`, true},
		{"whole body", `$`, `{"s":"text","n":1.50,"b":false,"z":null,"o":{"a":[1,"x"]},"arr":[{"id":1},{"id":2}]}`, true},
		{"indefinite gives array", `$.arr[*].id`, `[1,2]`, true},
		{"indefinite single match still array", `$.arr[?(@.id == 2)].id`, `[2]`, true},
		{"indefinite no match", `$.arr[?(@.id == 9)]`, `[]`, true},
		{"definite missing", `$.nope`, ``, false},
		{"definite missing index", `$.arr[5]`, ``, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, ok, err := MustCompile(tc.path).EvalString(parse(t, doc))
			if err != nil || got != tc.want || ok != tc.ok {
				t.Errorf("%s = %q, %v, %v; want %q, %v", tc.path, got, ok, err, tc.want, tc.ok)
			}
		})
	}
}

func TestIsDefinite(t *testing.T) {
	t.Parallel()
	tests := []struct {
		path string
		want bool
	}{
		{`$.a.b[0]`, true},
		{`$['a']['b']`, true},
		{`$.a['x','y']`, true},
		{`$['x','y'].z`, false},
		{`$.a[*]`, false},
		{`$.a.*`, false},
		{`$..a`, false},
		{`$.a[0,1]`, false},
		{`$.a[0:1]`, false},
		{`$.a[?(@.b)]`, false},
		{`$.a.length()`, true},
		{`$..a.length()`, true},
		{`$`, true},
	}
	for _, tc := range tests {
		if got := MustCompile(tc.path).IsDefinite(); got != tc.want {
			t.Errorf("IsDefinite(%s) = %v; want %v", tc.path, got, tc.want)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, path string
		offset     int
		msg        string
	}{
		{"empty", ``, 0, "empty"},
		{"ends with scan", `$..`, 2, "must not end with"},
		{"bad char after root", `$a`, 1, "expected '.' or '['"},
		{"space in dot name", `$.a b`, 3, "bracket notation"},
		{"three dots", `$...a`, 3, "not valid"},
		{"unclosed bracket name", `$['a`, 2, "missing closing '"},
		{"empty property", `$['a',]`, 6, "empty property"},
		{"bad index", `$[1-]`, 2, "array index"},
		{"bad bracket", `$[x]`, 1, "could not parse token"},
		{"unknown function", `$.a.foo()`, 4, "does not exist"},
		{"unclosed function", `$.a.sum(`, 7, "not closed"},
		{"unclosed filter", `$[?(@.a`, 3, "do not match"},
		{"missing bracket after filter", `$[?(@.a)`, 8, "expected ']'"},
		{"bad operator", `$[?(@.a <> 1)]`, 8, "expected ')'"},
		{"bad regex", `$[?(@.a =~ /(/)]`, 11, "regular expression"},
		{"Go rejects lookahead", `$[?(@.a =~ /(?=x)/)]`, 11, "regular expression"},
		{"literal alone", `$[?('x')]`, 7, "relational operator"},
		{"bad literal", `$[?(@.a == x)]`, 11, "expected a value"},
		{"bad wildcard", `$[*x]`, 3, "wildcard"},
		{"offset relative to source", `  x.$..`, 6, "must not end with"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Compile(tc.path)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Compile(%q) = %v; want *SyntaxError", tc.path, err)
			}
			if se.Offset != tc.offset || !strings.Contains(se.Msg, tc.msg) || se.Src != tc.path {
				t.Errorf("Compile(%q) = %+v; want offset %d, message containing %q", tc.path, se, tc.offset, tc.msg)
			}
		})
	}
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	p := MustCompile(`$.store.book[?(@.price < $.expensive && @.category in ['fiction'])].title`)
	doc := parse(t, bookstore)
	done := make(chan string, 8)
	for range 8 {
		go func() {
			s, _, err := p.EvalString(doc)
			if err != nil {
				s = err.Error()
			}
			done <- s
		}()
	}
	for range 8 {
		if s := <-done; s != `["Moby Dick"]` {
			t.Errorf("got %s", s)
		}
	}
}
