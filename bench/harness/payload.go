package main

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

const (
	soapEnvNS  = "http://schemas.xmlsoap.org/soap/envelope/"
	samplesNS  = "http://services.samples"
	soapHead   = `<soapenv:Envelope xmlns:soapenv="` + soapEnvNS + `"><soapenv:Header/><soapenv:Body><m:buyStocks xmlns:m="` + samplesNS + `">`
	soapTail   = `</m:buyStocks></soapenv:Body></soapenv:Envelope>`
	firstOrder = `<order><symbol>IBM</symbol><buyerID>busbar</buyerID><price>140.34</price><volume>2000</volume></order>`
)

// paddingSymbols differ from the routed one so that a router that looked at
// the wrong order would send the message to the 404 branch.
var paddingSymbols = []string{"MSFT", "SUN", "ORCL"}

// soapPayload builds a SOAP 1.1 buyStocks request of exactly size bytes
// (or the smallest valid one, if size is below that): WSO2's benchmark
// message shape, one routed order followed by more orders and a <pad>
// element inside buyStocks, so XPath into the first order still matches.
// It also returns how many orders it holds, which the transform scenario
// reports back.
func soapPayload(size int) ([]byte, int) {
	var b bytes.Buffer
	b.WriteString(soapHead)
	b.WriteString(firstOrder)
	orders := 1
	const padOverhead = len("<pad></pad>")
	for i := 0; ; i++ {
		o := fmt.Sprintf("<order><symbol>%s</symbol><buyerID>busbar</buyerID><price>140.34</price><volume>2000</volume></order>", paddingSymbols[i%len(paddingSymbols)])
		if b.Len()+len(o)+padOverhead+len(soapTail) > size {
			break
		}
		b.WriteString(o)
		orders++
	}
	if n := size - b.Len() - padOverhead - len(soapTail); n >= 0 {
		b.WriteString("<pad>")
		b.WriteString(strings.Repeat("x", n))
		b.WriteString("</pad>")
	}
	b.WriteString(soapTail)
	return b.Bytes(), orders
}

// jsonPayload is the JSON counterpart: $.order.symbol is the routed value,
// $.orders and $.pad fill the document to exactly size bytes.
func jsonPayload(size int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"order":{"symbol":"IBM","buyerID":"busbar","price":140.34,"volume":2000},"orders":[`)
	const tail = `],"pad":""}`
	for i := 0; ; i++ {
		o := fmt.Sprintf(`{"symbol":"%s","buyerID":"busbar","price":140.34,"volume":2000}`, paddingSymbols[i%len(paddingSymbols)])
		if i > 0 {
			o = "," + o
		}
		if b.Len()+len(o)+len(tail) > size {
			break
		}
		b.WriteString(o)
	}
	b.WriteString(`],"pad":"`)
	if n := size - b.Len() - len(`"}`); n > 0 {
		b.WriteString(strings.Repeat("x", n))
	}
	b.WriteString(`"}`)
	return b.Bytes()
}

// transformedSOAP is what TransformProxy's payloadFactory turns a
// soapPayload with the given number of orders into; it must follow the
// template in bench/artifacts/proxy-services/TransformProxy.xml.
func transformedSOAP(orders int) []byte {
	return fmt.Appendf(nil, `<soapenv:Envelope xmlns:soapenv="%s"><soapenv:Header/><soapenv:Body>`+
		`<m:buyStocksSummary xmlns:m="%s"><m:symbol>IBM</m:symbol><m:buyer>busbar</m:buyer><m:volume>2000</m:volume><m:orders>%d</m:orders></m:buyStocksSummary>`+
		`</soapenv:Body></soapenv:Envelope>`, soapEnvNS, samplesNS, orders)
}

// canonicalXML reduces a document to what a transformation is responsible
// for: element names by namespace URI (not prefix), non-namespace
// attributes sorted, and non-blank text. For a SOAP envelope only the Body's
// content counts, so an added or dropped empty Header or XML declaration
// does not fail the probe.
func canonicalXML(doc []byte) (string, error) {
	d := xml.NewDecoder(bytes.NewReader(doc))
	var all, body strings.Builder
	// bodyDepth is 0 before the SOAP Body, its depth inside, -1 after it.
	depth, bodyDepth := 0, 0
	sawBody := false
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", err
		}
		var piece string
		inside := false
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			if bodyDepth == 0 && t.Name.Space == soapEnvNS && t.Name.Local == "Body" {
				bodyDepth, sawBody = depth, true
				continue
			}
			inside = bodyDepth > 0 && depth > bodyDepth
			var attrs []string
			for _, a := range t.Attr {
				if a.Name.Space == "xmlns" || a.Name.Space == "" && a.Name.Local == "xmlns" {
					continue
				}
				attrs = append(attrs, fmt.Sprintf(" {%s}%s=%q", a.Name.Space, a.Name.Local, a.Value))
			}
			sort.Strings(attrs)
			piece = fmt.Sprintf("<{%s}%s%s>", t.Name.Space, t.Name.Local, strings.Join(attrs, ""))
		case xml.EndElement:
			if bodyDepth > 0 && depth == bodyDepth {
				bodyDepth = -1
				depth--
				continue
			}
			inside = bodyDepth > 0 && depth > bodyDepth
			depth--
			piece = "</>"
		case xml.CharData:
			inside = bodyDepth > 0 && depth >= bodyDepth
			piece = strings.TrimSpace(string(t))
		}
		all.WriteString(piece)
		if inside {
			body.WriteString(piece)
		}
	}
	if sawBody {
		return body.String(), nil
	}
	return all.String(), nil
}
