package message

import (
	"mime"
	"strings"
)

// Format is how a body is encoded on the wire. It decides how the body is
// parsed when a mediator needs its content and how it is written out.
type Format uint8

// Formats. SOAP11 and SOAP12 are envelopes; POX is plain XML.
const (
	FormatNone Format = iota
	FormatSOAP11
	FormatSOAP12
	FormatPOX
	FormatJSON
	FormatText
	FormatForm
	FormatBinary
)

var formatNames = [...]string{"none", "soap11", "soap12", "pox", "json", "text", "form", "binary"}

func (f Format) String() string { return formatNames[f] }

// IsXML reports whether the wire form is XML (SOAP or POX).
func (f Format) IsXML() bool { return f == FormatSOAP11 || f == FormatSOAP12 || f == FormatPOX }

// Content types Busbar writes when it changes a body's format.
const (
	CTSOAP11 = "text/xml"
	CTSOAP12 = "application/soap+xml"
	CTXML    = "application/xml"
	CTJSON   = "application/json"
	CTText   = "text/plain"
	CTForm   = "application/x-www-form-urlencoded"
	CTBinary = "application/octet-stream"
)

// FormatOf maps a Content-Type header to a Format, as MI's message builders
// are selected: text/xml is SOAP 1.1, application/soap+xml SOAP 1.2, any
// other XML type plain XML, any JSON type JSON.
func FormatOf(contentType string) Format {
	mt := mediaType(contentType)
	switch {
	case mt == "":
		return FormatNone
	case mt == "text/xml":
		return FormatSOAP11
	case mt == "application/soap+xml":
		return FormatSOAP12
	case mt == "application/json" || strings.HasSuffix(mt, "+json") || mt == "text/json" || mt == "application/json/badgerfish":
		return FormatJSON
	case mt == "application/xml" || strings.HasSuffix(mt, "+xml") || mt == "application/atom+xml":
		return FormatPOX
	case mt == "text/plain":
		return FormatText
	case mt == "application/x-www-form-urlencoded":
		return FormatForm
	}
	return FormatBinary
}

// ContentTypeOf is the default Content-Type for a format.
func ContentTypeOf(f Format) string {
	switch f {
	case FormatSOAP11:
		return CTSOAP11
	case FormatSOAP12:
		return CTSOAP12
	case FormatPOX:
		return CTXML
	case FormatJSON:
		return CTJSON
	case FormatText:
		return CTText
	case FormatForm:
		return CTForm
	}
	return CTBinary
}

// mediaType returns the lower-case media type without parameters. It avoids
// mime.ParseMediaType on the common, simple forms because that allocates.
func mediaType(ct string) string {
	if ct == "" {
		return ""
	}
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	ct = strings.TrimSpace(ct)
	for i := 0; i < len(ct); i++ {
		if c := ct[i]; c >= 'A' && c <= 'Z' {
			return strings.ToLower(ct)
		}
	}
	return ct
}

// MediaType is the exported form of mediaType, for transports and mediators.
func MediaType(ct string) string { return mediaType(ct) }

// Charset returns the charset parameter of a content type, or "".
func Charset(ct string) string {
	if !strings.Contains(ct, "charset") {
		return ""
	}
	_, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return ""
	}
	return params["charset"]
}
