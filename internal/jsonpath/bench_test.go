package jsonpath

import (
	"strconv"
	"strings"
	"testing"

	"github.com/busbar/busbar/internal/jsontree"
)

// orderDoc is a document of about 1 KiB (1,011 bytes) with an order and an item list.
func orderDoc() *jsontree.Value {
	var b strings.Builder
	b.WriteString(`{"order":{"id":"A-1","items":[{"id":"i-0","qty":1}]},"items":[`)
	for i := 0; i < 22; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"id":"item-` + strconv.Itoa(i) + `","price":` + strconv.Itoa(i*3%25) + `.5,"name":"Item"}`)
	}
	b.WriteString(`]}`)
	v, err := jsontree.Parse([]byte(b.String()))
	if err != nil {
		panic(err)
	}
	return v
}

func benchSelect(b *testing.B, path string) {
	doc := orderDoc()
	p := MustCompile(path)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Select(doc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSelectDefinite(b *testing.B) { benchSelect(b, `$.order.items[0].id`) }
func BenchmarkSelectFilter(b *testing.B)   { benchSelect(b, `$.items[?(@.price > 10)].id`) }

func BenchmarkCompileFilter(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile(`$.items[?(@.price > 10 && @.name =~ /It.*/i)].id`); err != nil {
			b.Fatal(err)
		}
	}
}
