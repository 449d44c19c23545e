package config

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// ParseXML reads one XML document into an Element tree, recording the
// position of every element and attribute. file is used in positions only.
func ParseXML(file string, data []byte) (*Element, error) {
	p := &parser{file: file, data: data, lines: lineStarts(data)}
	return p.parse()
}

type parser struct {
	file  string
	data  []byte
	lines []int
}

// PosError is a syntax error at a position.
type PosError struct {
	Pos Pos
	Msg string
}

func (e *PosError) Error() string { return e.Pos.String() + ": " + e.Msg }

func lineStarts(data []byte) []int {
	starts := []int{0}
	for i, c := range data {
		if c == '\n' {
			starts = append(starts, i+1)
		}
	}
	return starts
}

func (p *parser) pos(off int64) Pos {
	o := int(off)
	i := sort.Search(len(p.lines), func(i int) bool { return p.lines[i] > o }) - 1
	if i < 0 {
		i = 0
	}
	return Pos{File: p.file, Line: i + 1, Col: o - p.lines[i] + 1}
}

func (p *parser) parse() (*Element, error) {
	d := xml.NewDecoder(bytes.NewReader(p.data))
	d.Strict = true
	var root, cur *Element
	for {
		start := d.InputOffset()
		tok, err := d.RawToken()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, p.syntaxErr(d, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			el, err := p.start(t, cur, start, d.InputOffset())
			if err != nil {
				return nil, err
			}
			if cur == nil {
				if root != nil {
					return nil, &PosError{Pos: el.Pos, Msg: "more than one root element"}
				}
				root = el
			} else {
				cur.Content = append(cur.Content, el)
				cur.Children = append(cur.Children, el)
			}
			cur = el
		case xml.EndElement:
			if cur == nil {
				return nil, &PosError{Pos: p.pos(start), Msg: fmt.Sprintf("unexpected end tag </%s>", qname(t.Name))}
			}
			if t.Name.Local != cur.Name.Local || t.Name.Space != cur.Name.Prefix {
				return nil, &PosError{Pos: p.pos(start), Msg: fmt.Sprintf("end tag </%s> does not match <%s> opened at %d:%d", qname(t.Name), cur.Display(), cur.Pos.Line, cur.Pos.Col)}
			}
			cur = cur.Parent
		case xml.CharData:
			if cur != nil {
				cur.Content = append(cur.Content, Text{Data: string(t), CDATA: isCDATA(p.data, start)})
			} else if len(bytes.TrimSpace(t)) > 0 {
				return nil, &PosError{Pos: p.pos(start), Msg: "text outside the root element"}
			}
		case xml.Comment:
			if cur != nil {
				cur.Content = append(cur.Content, Comment{Data: string(t)})
			}
		case xml.ProcInst:
			if cur != nil {
				cur.Content = append(cur.Content, ProcInst{Target: t.Target, Data: string(t.Inst)})
			}
		}
	}
	if root == nil {
		return nil, &PosError{Pos: Pos{File: p.file, Line: 1, Col: 1}, Msg: "no root element"}
	}
	if cur != nil {
		return nil, &PosError{Pos: p.pos(int64(len(p.data))), Msg: fmt.Sprintf("unexpected end of file: <%s> at %d:%d is not closed", cur.Display(), cur.Pos.Line, cur.Pos.Col)}
	}
	return root, nil
}

func isCDATA(data []byte, off int64) bool {
	return bytes.HasPrefix(data[off:], []byte("<![CDATA["))
}

func (p *parser) syntaxErr(d *xml.Decoder, err error) error {
	var se *xml.SyntaxError
	msg := err.Error()
	if errors.As(err, &se) {
		msg = se.Msg
	}
	line, col := d.InputPos()
	return &PosError{Pos: Pos{File: p.file, Line: line, Col: col}, Msg: "XML syntax error: " + msg}
}

func qname(n xml.Name) string {
	if n.Space != "" {
		return n.Space + ":" + n.Local
	}
	return n.Local
}

func (p *parser) start(t xml.StartElement, parent *Element, start, end int64) (*Element, error) {
	el := &Element{Parent: parent, Pos: p.pos(start)}
	tag := p.data[start:end]
	for _, a := range t.Attr {
		switch {
		case a.Name.Space == "xmlns":
			el.NS = append(el.NS, NSDecl{Prefix: a.Name.Local, URI: a.Value})
		case a.Name.Space == "" && a.Name.Local == "xmlns":
			el.NS = append(el.NS, NSDecl{URI: a.Value})
		}
	}
	el.Name = Name{Local: t.Name.Local, Prefix: t.Name.Space}
	uri, ok := el.LookupNS(t.Name.Space)
	if !ok {
		return nil, &PosError{Pos: el.Pos, Msg: fmt.Sprintf("namespace prefix %q is not declared", t.Name.Space)}
	}
	el.Name.Space = uri
	for _, a := range t.Attr {
		if a.Name.Space == "xmlns" || a.Name.Space == "" && a.Name.Local == "xmlns" {
			continue
		}
		at := Attr{Name: Name{Local: a.Name.Local, Prefix: a.Name.Space}, Value: a.Value, Pos: p.attrPos(tag, start, qname(a.Name), el.Pos)}
		if a.Name.Space != "" {
			u, ok := el.LookupNS(a.Name.Space)
			if !ok {
				return nil, &PosError{Pos: at.Pos, Msg: fmt.Sprintf("namespace prefix %q is not declared", a.Name.Space)}
			}
			at.Name.Space = u
		}
		el.Attrs = append(el.Attrs, at)
	}
	return el, nil
}

// attrPos finds where an attribute is written inside its start tag, so
// errors about it point at the attribute rather than at the element.
func (p *parser) attrPos(tag []byte, start int64, name string, def Pos) Pos {
	s := string(tag)
	for i := 0; ; {
		j := strings.Index(s[i:], name)
		if j < 0 {
			return def
		}
		k := i + j
		before := k > 0 && isSpace(s[k-1])
		rest := strings.TrimLeft(s[k+len(name):], " \t\r\n")
		if before && strings.HasPrefix(rest, "=") {
			return p.pos(start + int64(k))
		}
		i = k + len(name)
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
