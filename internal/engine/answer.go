package engine

import (
	"encoding/json"
	"strings"

	"github.com/busbar/busbar/internal/fault"
	"github.com/busbar/busbar/internal/message"
	"github.com/busbar/busbar/internal/xmltree"
)

// DefaultStatus is the status of Busbar's default answer for a fault that
// no handler answered (DESIGN §3.1): 504 for timeouts, 503 when no endpoint
// was ready, 502 for other transport and endpoint failures, the fault's
// own status if it has one (400 for unparsable bodies, 413 for oversize
// ones), and 500 for mediation errors.
func DefaultStatus(f *fault.Error) int {
	if f.Status != 0 {
		return f.Status
	}
	n, ok := f.Code.Int()
	if !ok {
		return 500
	}
	switch {
	case n == fault.ConnectionTimeout || f.Base == fault.ConnectionTimeout:
		return 504
	case n == fault.EndpointNoneReady || n == fault.EndpointAddressNoneReady || n == fault.EndpointIndirectNotReady || n/1000 == 309:
		return 503
	case n >= 101000 && n < 103000, n == fault.EndpointCustomError, n == fault.EndpointAuthFailure, n/1000 == 401:
		return 502
	}
	return 500
}

// respondDefault answers an unhandled fault with a body in the request's
// format: a SOAP fault for SOAP requests, <error> for XML, JSON otherwise.
func (c *Context) respondDefault(f *fault.Error) {
	c.X.responded = true
	status := DefaultStatus(f)
	m := c.Msg
	m.Header = map[string][]string{}
	m.Status = 0
	data, ct := DefaultAnswer(f, c.X.reqFormat, c.X.accept)
	m.Body.SetBytes(data, ct)
	c.Log().Warn("answering with the default fault response", "status", status, "code", f.Code.String(), "error", f.Message, "path", f.Path)
	if err := c.X.Responder.Respond(m, status); err != nil {
		c.Log().Warn("writing the default fault response failed", "error", err)
	}
}

// DefaultAnswer renders a fault as a body in the format of the request.
func DefaultAnswer(f *fault.Error, reqFormat message.Format, accept string) ([]byte, string) {
	switch reqFormat {
	case message.FormatSOAP11, message.FormatSOAP12:
		return soapFault(f, reqFormat), message.ContentTypeOf(reqFormat) + "; charset=UTF-8"
	case message.FormatPOX:
		return xmlError(f), "application/xml; charset=UTF-8"
	case message.FormatJSON:
		return jsonError(f), "application/json; charset=UTF-8"
	}
	if strings.Contains(accept, "xml") && !strings.Contains(accept, "json") {
		return xmlError(f), "application/xml; charset=UTF-8"
	}
	return jsonError(f), "application/json; charset=UTF-8"
}

type jsonAnswer struct {
	Error jsonAnswerBody `json:"error"`
}

type jsonAnswerBody struct {
	Code    any    `json:"code"`
	Message string `json:"message"`
	Detail  string `json:"detail"`
	Path    string `json:"path"`
}

func jsonError(f *fault.Error) []byte {
	var code any = f.Code.String()
	if n, ok := f.Code.Int(); ok {
		code = n
	}
	data, _ := json.Marshal(jsonAnswer{Error: jsonAnswerBody{Code: code, Message: f.Message, Detail: f.Detail, Path: f.Path}})
	return data
}

func xmlError(f *fault.Error) []byte {
	el := xmltree.NewElement("", "error", "")
	for _, kv := range [][2]string{{"code", f.Code.String()}, {"message", f.Message}, {"detail", f.Detail}, {"path", f.Path}} {
		c := xmltree.NewElement("", kv[0], "")
		c.AppendChild(xmltree.NewText(kv[1]))
		el.AppendChild(c)
	}
	return el.AppendXML(nil)
}

func soapFault(f *fault.Error, v message.Format) []byte {
	_, env, body := message.NewEnvelope(v)
	ns := env.Name.Space
	flt := xmltree.NewElement(ns, "Fault", "soapenv")
	body.AppendChild(flt)
	add := func(parent *xmltree.Node, space, local, prefix, text string) *xmltree.Node {
		e := xmltree.NewElement(space, local, prefix)
		if text != "" {
			e.AppendChild(xmltree.NewText(text))
		}
		parent.AppendChild(e)
		return e
	}
	detail := func(parent *xmltree.Node) {
		for _, kv := range [][2]string{{"code", f.Code.String()}, {"detail", f.Detail}, {"path", f.Path}} {
			add(parent, "", kv[0], "", kv[1])
		}
	}
	if v == message.FormatSOAP12 {
		code := add(flt, ns, "Code", "soapenv", "")
		add(code, ns, "Value", "soapenv", "soapenv:Receiver")
		reason := add(flt, ns, "Reason", "soapenv", "")
		t := add(reason, ns, "Text", "soapenv", f.Message)
		t.SetAttr(xmltree.Name{Space: "http://www.w3.org/XML/1998/namespace", Local: "lang", Prefix: "xml"}, "en")
		detail(add(flt, ns, "Detail", "soapenv", ""))
	} else {
		add(flt, "", "faultcode", "", "soapenv:Server")
		add(flt, "", "faultstring", "", f.Message)
		detail(add(flt, "", "detail", "", ""))
	}
	return env.AppendXML(nil)
}
