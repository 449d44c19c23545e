package xpath

import (
	"testing"
)

// benchDoc is a SOAP message of about 1 KiB, the size of a typical request
// routed on its content.
const benchDoc = `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">
  <soapenv:Header>
    <wsa:To xmlns:wsa="http://www.w3.org/2005/08/addressing">http://example.com/orders</wsa:To>
  </soapenv:Header>
  <soapenv:Body>
    <m:orders xmlns:m="urn:example:orders">
      <order>
        <id>41</id>
        <customer tier="silver">ACME Ltd</customer>
        <items><item sku="A-1" qty="2">Widget</item><item sku="B-7" qty="1">Gadget</item></items>
        <total currency="EUR">120.50</total>
      </order>
      <order>
        <id>42</id>
        <customer tier="gold">Globex Corporation</customer>
        <items><item sku="C-3" qty="5">Sprocket</item><item sku="D-9" qty="3">Flange</item></items>
        <total currency="EUR">310.00</total>
        <note>Deliver to the loading dock at the rear of the building, weekdays only.</note>
      </order>
      <order>
        <id>43</id>
        <customer tier="bronze">Initech</customer>
        <items><item sku="E-2" qty="1">Stapler</item></items>
        <total currency="USD">9.99</total>
      </order>
    </m:orders>
  </soapenv:Body>
</soapenv:Envelope>`

func benchOptions() *Options {
	return &Options{
		Namespaces: func(prefix string) (string, bool) {
			switch prefix {
			case "soapenv":
				return "http://schemas.xmlsoap.org/soap/envelope/", true
			case "m":
				return "urn:example:orders", true
			case "ext":
				return "urn:ext", true
			}
			return "", false
		},
		Functions: func(space, local string, nargs int) (Function, error) {
			if space == "urn:ext" && local == "fn" {
				return Function{Fn: func(c *Context, args []Value) (Value, error) {
					if args[0].String() == "X" {
						return StringValue("y"), nil
					}
					return StringValue(""), nil
				}}, nil
			}
			return Function{}, nil
		},
		Variables: func(prefix, space, local string) (Variable, error) {
			if prefix == "ctx" && local == "foo" {
				return Variable{Fn: func(*Context) (Value, error) { return StringValue("bar"), nil }}, nil
			}
			return Variable{}, nil
		},
	}
}

func benchEval(b *testing.B, src string) {
	doc := parseDoc(b, benchDoc)
	env := &docEnv{doc: doc}
	e := MustCompile(src, benchOptions())
	b.ReportAllocs()
	for b.Loop() {
		v, err := e.Evaluate(env)
		if err != nil || !v.Bool() {
			b.Fatalf("%v %v", v, err)
		}
	}
}

func BenchmarkEvalPathEquals(b *testing.B) { benchEval(b, "//order/id = '42'") }

func BenchmarkEvalNoNode(b *testing.B) { benchEval(b, "ext:fn('X') = 'y'") }

func BenchmarkEvalAbsolutePath(b *testing.B) {
	benchEval(b, "/soapenv:Envelope/soapenv:Body/m:orders/order[2]/id = '42'")
}

func BenchmarkEvalPredicate(b *testing.B) {
	benchEval(b, "//order[id = '42']/customer/@tier = 'gold'")
}

func BenchmarkEvalNodeSet(b *testing.B) { benchEval(b, "//item[@qty > 2]") }

func BenchmarkEvalString(b *testing.B) {
	benchEval(b, "concat(//order[2]/customer, ' ', normalize-space(//order[2]/note))")
}

func BenchmarkCompile(b *testing.B) {
	opts := benchOptions()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile("/soapenv:Envelope/soapenv:Body/m:orders/order[id = '42' and customer/@tier = 'gold']/total > 100", opts); err != nil {
			b.Fatal(err)
		}
	}
}
