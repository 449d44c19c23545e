package main

import (
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"
)

func TestPayloadSizes(t *testing.T) {
	for _, size := range []int{1024, 10240, 102400} {
		soap, orders := soapPayload(size)
		if len(soap) != size {
			t.Errorf("SOAP payload of %d is %d bytes", size, len(soap))
		}
		if orders < 1 || strings.Count(string(soap), "<order>") != orders {
			t.Errorf("SOAP %d: %d orders reported, %d present", size, orders, strings.Count(string(soap), "<order>"))
		}
		if err := xml.Unmarshal(soap, new(struct{})); err != nil {
			t.Errorf("SOAP %d is not XML: %v", size, err)
		}
		js := jsonPayload(size)
		if len(js) != size {
			t.Errorf("JSON payload of %d is %d bytes", size, len(js))
		}
		var doc struct {
			Order struct{ Symbol string }
		}
		if err := json.Unmarshal(js, &doc); err != nil || doc.Order.Symbol != "IBM" {
			t.Errorf("JSON %d: %v, symbol %q", size, err, doc.Order.Symbol)
		}
	}
}

func TestSOAPRoutedValue(t *testing.T) {
	soap, _ := soapPayload(10240)
	var env struct {
		Body struct {
			BuyStocks struct {
				Orders []struct {
					Symbol string `xml:"symbol"`
				} `xml:"order"`
			} `xml:"http://services.samples buyStocks"`
		} `xml:"http://schemas.xmlsoap.org/soap/envelope/ Body"`
	}
	if err := xml.Unmarshal(soap, &env); err != nil {
		t.Fatal(err)
	}
	o := env.Body.BuyStocks.Orders
	if len(o) < 2 || o[0].Symbol != "IBM" || o[1].Symbol == "IBM" {
		t.Fatalf("orders: %+v", o)
	}
}

func TestCanonicalXML(t *testing.T) {
	want := transformedSOAP(7)
	// Other prefixes, an XML declaration, no Header and indentation are
	// all serialisation choices a correct transformation may make.
	same := `<?xml version="1.0" encoding="UTF-8"?>
<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/">
  <s:Body>
    <x:buyStocksSummary xmlns:x="http://services.samples">
      <x:symbol>IBM</x:symbol><x:buyer>busbar</x:buyer><x:volume>2000</x:volume><x:orders>7</x:orders>
    </x:buyStocksSummary>
  </s:Body>
</s:Envelope>`
	a, err := canonicalXML(want)
	if err != nil {
		t.Fatal(err)
	}
	b, err := canonicalXML([]byte(same))
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Fatalf("equivalent documents differ:\n%s\n%s", a, b)
	}
	for _, different := range []string{
		strings.Replace(same, ">7<", ">8<", 1),
		strings.Replace(same, `xmlns:x="http://services.samples"`, `xmlns:x="urn:other"`, 1),
		strings.Replace(same, "<x:buyer>busbar</x:buyer>", "", 1),
	} {
		c, err := canonicalXML([]byte(different))
		if err != nil {
			t.Fatal(err)
		}
		if c == a {
			t.Errorf("different document compares equal:\n%s", different)
		}
	}
	if _, err := canonicalXML([]byte("<a><b></a>")); err == nil {
		t.Error("malformed XML accepted")
	}
}
