package xmltree

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"testing"
)

// benchOrder returns a SOAP 1.1 purchase order with the given number of
// order lines, shaped like the messages content-based routing sees: an
// addressing header, a namespaced payload, attributes, entities and
// indentation.
func benchOrder(lines int) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ord="http://example.com/orders/v1">
  <soapenv:Header>
    <wsa:MessageID xmlns:wsa="http://www.w3.org/2005/08/addressing">urn:uuid:6f1c2a34-9b1e-4c55-a1f0-3d2b8e7c9a10</wsa:MessageID>
  </soapenv:Header>
  <soapenv:Body>
    <ord:placeOrder>
      <ord:order id="PO-1001" currency="EUR" priority="high">
        <ord:customer ref="C-77"><ord:name>Smith &amp; Sons Ltd</ord:name><ord:country>NL</ord:country></ord:customer>
        <ord:lines>
`)
	for i := range lines {
		fmt.Fprintf(&b, `          <ord:line no="%d" sku="SKU-%05d" qty="%d"><ord:description>Widget &lt;size %d&gt;</ord:description><ord:price>%d.50</ord:price></ord:line>
`, i+1, i*7, i%9+1, i%5, 10+i%90)
	}
	b.WriteString(`        </ord:lines>
      </ord:order>
    </ord:placeOrder>
  </soapenv:Body>
</soapenv:Envelope>
`)
	return []byte(b.String())
}

var benchInputs = []struct {
	name string
	data []byte
}{
	{"1KiB", benchOrder(3)},
	{"100KiB", benchOrder(760)},
}

func BenchmarkParse(b *testing.B) {
	for _, in := range benchInputs {
		b.Run(in.name, func(b *testing.B) {
			b.SetBytes(int64(len(in.data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse(in.data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkParseString measures Parse without its one copy of the input,
// which is what aliasing the input with unsafe.String would save.
func BenchmarkParseString(b *testing.B) {
	for _, in := range benchInputs {
		s := string(in.data)
		b.Run(in.name, func(b *testing.B) {
			b.SetBytes(int64(len(s)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ParseString(s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkEncodingXMLDecode is the baseline: encoding/xml tokenising the
// same input with namespace translation, without building any tree.
func BenchmarkEncodingXMLDecode(b *testing.B) {
	for _, in := range benchInputs {
		b.Run(in.name, func(b *testing.B) {
			b.SetBytes(int64(len(in.data)))
			b.ReportAllocs()
			for b.Loop() {
				d := xml.NewDecoder(bytes.NewReader(in.data))
				for {
					_, err := d.Token()
					if err == io.EOF {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

func BenchmarkAppendXML(b *testing.B) {
	for _, in := range benchInputs {
		doc, err := Parse(in.data)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(in.name, func(b *testing.B) {
			buf := make([]byte, 0, 2*len(in.data))
			b.SetBytes(int64(len(in.data)))
			b.ReportAllocs()
			for b.Loop() {
				buf = doc.AppendXML(buf[:0])
			}
		})
	}
}

func TestBenchInputs(t *testing.T) {
	t.Parallel()
	for _, in := range benchInputs {
		t.Run(in.name, func(t *testing.T) {
			t.Parallel()
			doc := mustParse(t, string(in.data))
			reparse(t, doc)
			if err := stdlibAccepts(in.data); err != nil {
				t.Fatal(err)
			}
			t.Logf("%d bytes", len(in.data))
		})
	}
}
