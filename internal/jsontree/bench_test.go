package jsontree

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
)

// benchDoc builds an order-like document of roughly size bytes.
func benchDoc(size int) []byte {
	var b strings.Builder
	b.WriteString(`{"orderId":"ORD-2024-000123","customer":{"id":98765,"name":"Jane Q. Public","email":"jane@example.com","vip":true},"items":[`)
	for i := 0; b.Len() < size-120; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"sku":"SKU-` + strconv.Itoa(i) + `","qty":` + strconv.Itoa(i%7+1) + `,"price":` + strconv.Itoa(i*3%100) + `.99,"tags":["a","b\n"],"note":null}`)
	}
	b.WriteString(`],"total":1234.56,"currency":"EUR","paid":false}`)
	return []byte(b.String())
}

var (
	doc1K   = benchDoc(1 << 10)
	doc100K = benchDoc(100 << 10)
)

func benchParse(b *testing.B, data []byte) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}

func benchStdlib(b *testing.B, data []byte) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var v any
		if err := json.Unmarshal(data, &v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParse1K(b *testing.B)             { benchParse(b, doc1K) }
func BenchmarkParse100K(b *testing.B)           { benchParse(b, doc100K) }
func BenchmarkStdlibUnmarshal1K(b *testing.B)   { benchStdlib(b, doc1K) }
func BenchmarkStdlibUnmarshal100K(b *testing.B) { benchStdlib(b, doc100K) }

func BenchmarkAppendJSON100K(b *testing.B) {
	v, err := Parse(doc100K)
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 0, len(doc100K))
	b.SetBytes(int64(len(doc100K)))
	b.ReportAllocs()
	for b.Loop() {
		buf = v.AppendJSON(buf[:0])
	}
}
