package xmltree

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

type parseCase struct {
	name string
	in   string
	dump string // expected dump of the document
	out  string // expected serialisation; "" means the same as in
}

var parseCases = []parseCase{
	{name: "empty element", in: `<a/>`, dump: `(a{})`},
	{name: "start end pair becomes empty", in: `<a></a>`, dump: `(a{})`, out: `<a/>`},
	{name: "space before close", in: `<a ></a >`, dump: `(a{})`, out: `<a/>`},
	{name: "xml declaration", in: `<?xml version="1.0"?><a/>`, dump: `(a{})`, out: `<a/>`},
	{name: "declaration all fields single quotes", in: "<?xml version='1.0' encoding='utf-8' standalone='yes' ?>\n<a/>", dump: `(a{})`, out: `<a/>`},
	{name: "declaration US-ASCII", in: `<?xml version="1.0" encoding="US-ASCII"?><a>x</a>`, dump: `(a{} "x")`, out: `<a>x</a>`},
	{name: "byte order mark", in: "\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"UTF-8\"?><a/>", dump: `(a{})`, out: `<a/>`},
	{name: "byte order mark without declaration", in: "\xEF\xBB\xBF<a/>", dump: `(a{})`, out: `<a/>`},
	{name: "whitespace outside root dropped", in: " \n<a/>\n\t", dump: `(a{})`, out: `<a/>`},
	{name: "misc outside root kept", in: "<!--c--><?pi x?>\n<a/><!--d-->", dump: `<!"c"> <?pi "x"> (a{}) <!"d">`, out: `<!--c--><?pi x?><a/><!--d-->`},
	{name: "whitespace text kept inside", in: "<a>\n  <b/>\n</a>", dump: `(a{} "\n  " (b{}) "\n")`},
	{name: "predefined entities", in: `<a>&lt;&gt;&amp;&apos;&quot;</a>`, dump: `(a{} "<>&'\"")`, out: `<a>&lt;&gt;&amp;'"</a>`},
	{name: "character references", in: `<a>&#65;&#x42;&#x0043;&#0000068;&#x1F600;&#xe9;</a>`, dump: `(a{} "ABCD😀é")`, out: `<a>ABCD😀é</a>`},
	{name: "carriage return reference kept", in: `<a>x&#13;y&#xD;</a>`, dump: `(a{} "x\ry\r")`, out: `<a>x&#xD;y&#xD;</a>`},
	{name: "line ends normalised in text", in: "<a>1\r\n2\r3\n</a>", dump: `(a{} "1\n2\n3\n")`, out: "<a>1\n2\n3\n</a>"},
	{name: "attribute normalisation", in: "<a x=\"a\tb\r\nc\rd\ne\"/>", dump: `(a{} x{}="a b c d e")`, out: `<a x="a b c d e"/>`},
	{name: "attribute references not normalised", in: `<a x="&#9;&#10;&#13;&lt;&amp;&quot;'"/>`, dump: `(a{} x{}="\t\n\r<&\"'")`, out: `<a x="&#x9;&#xA;&#xD;&lt;&amp;&quot;'"/>`},
	{name: "single quoted attribute", in: `<a x='say "hi"' y="it's"/>`, dump: `(a{} x{}="say \"hi\"" y{}="it's")`, out: `<a x="say &quot;hi&quot;" y="it's"/>`},
	{name: "greater than in attribute", in: `<a x="a>b"/>`, dump: `(a{} x{}="a>b")`},
	{name: "cdata", in: `<a><![CDATA[<b>&amp;</b>]]></a>`, dump: `(a{} C"<b>&amp;</b>")`},
	{name: "empty cdata", in: `<a><![CDATA[]]></a>`, dump: `(a{} C"")`},
	{name: "cdata split around terminator", in: `<a><![CDATA[x]]]]><![CDATA[>y]]></a>`, dump: `(a{} C"x]]" C">y")`},
	{name: "cdata line ends", in: "<a><![CDATA[1\r\n2]]></a>", dump: `(a{} C"1\n2")`, out: "<a><![CDATA[1\n2]]></a>"},
	{name: "text and cdata adjacent", in: `<a>x<![CDATA[y]]>z</a>`, dump: `(a{} "x" C"y" "z")`},
	{name: "comment and pi inside", in: `<a><!-- c - d --><?t  data ??></a>`, dump: `(a{} <!" c - d "> <?t "data ?">)`, out: `<a><!-- c - d --><?t data ??></a>`},
	{name: "empty comment", in: `<a><!----></a>`, dump: `(a{} <!"">)`},
	{name: "pi without data", in: `<a><?t?></a>`, dump: `(a{} <?t "">)`},
	{name: "pi target starting with xml", in: `<?xml-stylesheet href="a"?><a/>`, dump: `<?xml-stylesheet "href=\"a\""> (a{})`},
	{name: "unicode names", in: `<é:ü xmlns:é="urn:e" ä="1"><ħ·_.-9/></é:ü>`, dump: `(é:ü{urn:e} xmlns:é=urn:e ä{}="1" (ħ·_.-9{}))`},
	{name: "right bracket in text", in: `<a>]] ]></a>`, dump: `(a{} "]] ]>")`, out: `<a>]] ]&gt;</a>`},
	{name: "non-ASCII text", in: `<a>Grüße 日本 😀</a>`, dump: `(a{} "Grüße 日本 😀")`},
	{name: "reference then non-ASCII and brackets", in: "<a>&amp;é]x]]y\r\n😀\r</a>", dump: `(a{} "&é]x]]y\n😀\n")`, out: "<a>&amp;é]x]]y\n😀\n</a>"},
	{name: "attribute reference then non-ASCII", in: `<a x="&amp;é'ü"/>`, dump: `(a{} x{}="&é'ü")`},
	{name: "long decoded text", in: "<a>" + strings.Repeat("x", 100) + "&amp;</a>", dump: `(a{} "` + strings.Repeat("x", 100) + `&")`},
	{name: "comment with line ends and non-ASCII", in: "<a><!--é\r\nü\r--></a>", dump: `(a{} <!"é\nü\n">)`, out: "<a><!--é\nü\n--></a>"},
	{name: "pi with line ends", in: "<a><?t x\r\ny?></a>", dump: `(a{} <?t "x\ny">)`, out: "<a><?t x\ny?></a>"},
	{name: "cdata with non-ASCII", in: "<a><![CDATA[é😀]]></a>", dump: `(a{} C"é😀")`},
	{name: "default namespace", in: `<a xmlns="urn:d"><b/></a>`, dump: `(a{urn:d} xmlns=urn:d (b{urn:d}))`},
	{name: "undeclare default", in: `<a xmlns="urn:d"><b xmlns=""><c/></b></a>`, dump: `(a{urn:d} xmlns=urn:d (b{} xmlns= (c{})))`},
	{name: "prefix rebound in child", in: `<p:a xmlns:p="urn:1"><p:b xmlns:p="urn:2"/><p:c/></p:a>`, dump: `(p:a{urn:1} xmlns:p=urn:1 (p:b{urn:2} xmlns:p=urn:2) (p:c{urn:1}))`},
	{name: "declaration after use on same element", in: `<p:a p:x="1" xmlns:p="urn:p"/>`, dump: `(p:a{urn:p} xmlns:p=urn:p p:x{urn:p}="1")`, out: `<p:a xmlns:p="urn:p" p:x="1"/>`},
	{name: "unprefixed attribute has no namespace", in: `<a xmlns="urn:d" x="1"/>`, dump: `(a{urn:d} xmlns=urn:d x{}="1")`},
	{name: "same local name different namespaces", in: `<a xmlns:p="urn:p" x="1" p:x="2"/>`, dump: `(a{} xmlns:p=urn:p x{}="1" p:x{urn:p}="2")`},
	{name: "xml prefix predefined", in: `<a xml:lang="en" xml:space="preserve"/>`, dump: `(a{} xml:lang{http://www.w3.org/XML/1998/namespace}="en" xml:space{http://www.w3.org/XML/1998/namespace}="preserve")`},
	{name: "xml prefix may be declared", in: `<a xmlns:xml="http://www.w3.org/XML/1998/namespace"/>`, dump: `(a{} xmlns:xml=http://www.w3.org/XML/1998/namespace)`, out: `<a/>`},
	{name: "attribute named xmlns in a namespace", in: `<a xmlns:p="urn:p" p:xmlns="1"/>`, dump: `(a{} xmlns:p=urn:p p:xmlns{urn:p}="1")`},
	{name: "many attributes", in: `<a a0="0" a1="1" a2="2" a3="3" a4="4" a5="5" a6="6" a7="7" a8="8" a9="9" b0="0" b1="1" b2="2" b3="3" b4="4" b5="5" b6="6" b7="7"/>`,
		dump: `(a{} a0{}="0" a1{}="1" a2{}="2" a3{}="3" a4{}="4" a5{}="5" a6{}="6" a7{}="7" a8{}="8" a9{}="9" b0{}="0" b1{}="1" b2{}="2" b3{}="3" b4{}="4" b5{}="5" b6{}="6" b7{}="7")`},
	{name: "soap 1.1 envelope", in: soap11, dump: `(soapenv:Envelope{http://schemas.xmlsoap.org/soap/envelope/} xmlns:soapenv=http://schemas.xmlsoap.org/soap/envelope/ xmlns:m=urn:quotes "\n  " (soapenv:Header{http://schemas.xmlsoap.org/soap/envelope/} (m:Trace{urn:quotes} soapenv:mustUnderstand{http://schemas.xmlsoap.org/soap/envelope/}="0" "t-1")) "\n  " (soapenv:Body{http://schemas.xmlsoap.org/soap/envelope/} (m:getQuote{urn:quotes} (m:symbol{urn:quotes} "IBM"))) "\n")`},
	{name: "soap 1.2 envelope", in: soap12, dump: `(env:Envelope{http://www.w3.org/2003/05/soap-envelope} xmlns:env=http://www.w3.org/2003/05/soap-envelope (env:Body{http://www.w3.org/2003/05/soap-envelope} (env:Fault{http://www.w3.org/2003/05/soap-envelope} (env:Code{http://www.w3.org/2003/05/soap-envelope} (env:Value{http://www.w3.org/2003/05/soap-envelope} "env:Sender")) (env:Reason{http://www.w3.org/2003/05/soap-envelope} (env:Text{http://www.w3.org/2003/05/soap-envelope} xml:lang{http://www.w3.org/XML/1998/namespace}="en" "bad & wrong")))))`},
}

const soap11 = `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="urn:quotes">
  <soapenv:Header><m:Trace soapenv:mustUnderstand="0">t-1</m:Trace></soapenv:Header>
  <soapenv:Body><m:getQuote><m:symbol>IBM</m:symbol></m:getQuote></soapenv:Body>
</soapenv:Envelope>`

const soap12 = `<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body><env:Fault><env:Code><env:Value>env:Sender</env:Value></env:Code><env:Reason><env:Text xml:lang="en">bad &amp; wrong</env:Text></env:Reason></env:Fault></env:Body></env:Envelope>`

func TestParse(t *testing.T) {
	t.Parallel()
	for _, tc := range parseCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			doc, err := Parse([]byte(tc.in))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := dump(doc); got != tc.dump {
				t.Errorf("tree\ngot:  %s\nwant: %s", got, tc.dump)
			}
			want := tc.out
			if want == "" {
				want = tc.in
				if tc.name == "soap 1.1 envelope" {
					want = strings.TrimPrefix(tc.in, `<?xml version="1.0" encoding="UTF-8"?>`+"\n")
				}
			}
			if got := doc.String(); got != want {
				t.Errorf("serialised\ngot:  %s\nwant: %s", got, want)
			}
			reparse(t, doc)
		})
	}
}

type errorCase struct {
	name string
	in   string
	err  string
}

var errorCases = []errorCase{
	{"empty input", ``, `xml: line 1, column 1: no root element`},
	{"only a comment", `<!-- c -->`, `xml: line 1, column 11: no root element`},
	{"mismatched end tag", "<a>\n<b>\n  </a>", `xml: line 3, column 3: unexpected end tag </a>, expected </b>`},
	{"end tag prefix differs", `<p:a xmlns:p="u" xmlns:q="u"></q:a>`, `xml: line 1, column 30: unexpected end tag </q:a>, expected </p:a>`},
	{"end tag without start", `</a>`, `xml: line 1, column 1: unexpected end tag </a>`},
	{"end tag after root", `<a/></a>`, `xml: line 1, column 5: unexpected end tag </a>`},
	{"unclosed element", `<a><b>`, `xml: line 1, column 7: unexpected end of input: element <b> is not closed`},
	{"unclosed with text", `<a>text`, `xml: line 1, column 8: unexpected end of input: element <a> is not closed`},
	{"two root elements", `<a/><b/>`, `xml: line 1, column 5: more than one root element`},
	{"text after root", `<a/>x`, `xml: line 1, column 5: text is not allowed outside the root element`},
	{"text before root", "\n x<a/>", `xml: line 2, column 2: text is not allowed outside the root element`},
	{"reference outside root", `&#32;<a/>`, `xml: line 1, column 1: text is not allowed outside the root element`},
	{"cdata outside root", `<![CDATA[x]]><a/>`, `xml: line 1, column 1: CDATA section outside the root element`},
	{"doctype", `<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>`, `xml: line 1, column 1: DOCTYPE is not allowed`},
	{"external entity attack", "<?xml version=\"1.0\"?>\n<!DOCTYPE foo [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]><foo>&xxe;</foo>", `xml: line 2, column 1: DOCTYPE is not allowed`},
	{"doctype after root start", `<a><!DOCTYPE a></a>`, `xml: line 1, column 4: DOCTYPE is not allowed`},
	{"other markup declaration", `<a><!ELEMENT a ANY></a>`, `xml: line 1, column 4: invalid markup: expected a comment or CDATA section after <!`},
	{"unsupported encoding", `<?xml version="1.0" encoding="ISO-8859-1"?><a/>`, `xml: line 1, column 21: unsupported encoding "ISO-8859-1": only UTF-8 and US-ASCII are accepted`},
	{"unsupported version", `<?xml version="1.1"?><a/>`, `xml: line 1, column 7: unsupported XML version "1.1"`},
	{"declaration without version", `<?xml encoding="UTF-8"?><a/>`, `xml: line 1, column 7: malformed XML declaration`},
	{"declaration fields out of order", `<?xml version="1.0" standalone="no" encoding="UTF-8"?><a/>`, `xml: line 1, column 37: malformed XML declaration`},
	{"declaration bad standalone", `<?xml version="1.0" standalone="maybe"?><a/>`, `xml: line 1, column 21: invalid standalone value "maybe"`},
	{"declaration not at start", ` <?xml version="1.0"?><a/>`, `xml: line 1, column 2: XML declaration is only allowed at the start of the document`},
	{"declaration inside element", `<a><?xml version="1.0"?></a>`, `xml: line 1, column 4: XML declaration is only allowed at the start of the document`},
	{"reserved pi target", `<a><?XmL x?></a>`, `xml: line 1, column 6: processing instruction target "XmL" is reserved`},
	{"pi target with colon", `<a><?p:t x?></a>`, `xml: line 1, column 6: processing instruction target p:t must not contain a colon`},
	{"pi without space", `<a><?t+x?></a>`, `xml: line 1, column 7: expected white space or ?> after processing instruction target t`},
	{"unterminated pi", `<a><?t x`, `xml: line 1, column 9: unexpected end of input in processing instruction`},
	{"US-ASCII with non-ASCII", `<?xml version="1.0" encoding="us-ascii"?><a>é</a>`, `xml: line 1, column 45: non-ASCII character in a document declared US-ASCII`},
	{"UTF-16 byte order mark", "\xFF\xFE<\x00a\x00/\x00>\x00", `xml: line 1, column 1: UTF-16 input is not supported`},
	{"undeclared element prefix", `<p:a/>`, `xml: line 1, column 1: undeclared namespace prefix "p" in element <p:a>`},
	{"undeclared attribute prefix", `<a p:x="1"/>`, `xml: line 1, column 4: undeclared namespace prefix "p" in attribute p:x`},
	{"prefix out of scope", `<a><b xmlns:p="u"/><p:c/></a>`, `xml: line 1, column 20: undeclared namespace prefix "p" in element <p:c>`},
	{"duplicate attribute", `<a x="1" x="2"/>`, `xml: line 1, column 10: duplicate attribute x`},
	{"duplicate namespace declaration", `<a xmlns:p="u" xmlns:p="v"/>`, `xml: line 1, column 16: duplicate attribute xmlns:p`},
	{"duplicate expanded attribute", `<a xmlns:p="u" xmlns:q="u" p:x="1" q:x="2"/>`, `xml: line 1, column 36: duplicate attribute q:x: namespace "u" and local name "x" are already used`},
	{"duplicate attribute many", `<a a0="" a1="" a2="" a3="" a4="" a5="" a6="" a7="" a8="" a9="" b0="" b1="" b2="" b3="" b4="" b5="" b6="" a3=""/>`, `xml: line 1, column 106: duplicate attribute a3`},
	{"duplicate expanded attribute many", `<a xmlns:p="u" xmlns:q="u" a0="" a1="" a2="" a3="" a4="" a5="" a6="" a7="" a8="" a9="" b0="" b1="" b2="" b3="" b4="" p:x="" q:x=""/>`, `xml: line 1, column 125: duplicate attribute q:x: namespace "u" and local name "x" are already used`},
	{"undeclare prefix", `<a xmlns:p=""/>`, `xml: line 1, column 4: namespace prefix "p" must not be undeclared`},
	{"rebind xml prefix", `<a xmlns:xml="urn:x"/>`, `xml: line 1, column 4: the xml prefix must not be bound to "urn:x"`},
	{"bind xml namespace elsewhere", `<a xmlns:x="http://www.w3.org/XML/1998/namespace"/>`, `xml: line 1, column 4: the XML namespace must not be bound to a prefix other than xml`},
	{"declare xmlns prefix", `<a xmlns:xmlns="urn:x"/>`, `xml: line 1, column 4: the xmlns prefix must not be declared`},
	{"bind xmlns namespace", `<a xmlns="http://www.w3.org/2000/xmlns/"/>`, `xml: line 1, column 4: the xmlns namespace must not be declared`},
	{"element with xmlns prefix", `<xmlns:a/>`, `xml: line 1, column 1: element name <xmlns:a> must not use the xmlns prefix`},
	{"invalid name start", `<1a/>`, `xml: line 1, column 2: invalid name start character "1"`},
	{"invalid attribute name", `<a -x="1"/>`, `xml: line 1, column 4: invalid name start character "-"`},
	{"two colons", `<a:b:c/>`, `xml: line 1, column 2: name "a:b:c" has more than one colon`},
	{"leading colon", `<:a/>`, `xml: line 1, column 2: invalid name start character ":"`},
	{"trailing colon", `<a:/>`, `xml: line 1, column 2: invalid qualified name "a:"`},
	{"local part starts with digit", `<a:1/>`, `xml: line 1, column 2: invalid qualified name "a:1"`},
	{"bad character in name", "<a\u00d7/>", `xml: line 1, column 3: expected whitespace, > or /> in start tag <a>`},
	{"unquoted attribute", `<a x=1/>`, `xml: line 1, column 6: attribute value must be quoted`},
	{"attribute without value", `<a x/>`, `xml: line 1, column 5: expected = after attribute name x`},
	{"missing space between attributes", `<a x="1"y="2"/>`, `xml: line 1, column 9: expected whitespace, > or /> in start tag <a>`},
	{"slash without gt", `<a / >`, `xml: line 1, column 4: expected /> in start tag <a>`},
	{"less than in attribute", `<a x="<"/>`, `xml: line 1, column 7: < is not allowed in attribute values`},
	{"less than in attribute slow path", `<a x="&amp;<"/>`, `xml: line 1, column 12: < is not allowed in attribute values`},
	{"unterminated attribute", `<a x="1`, `xml: line 1, column 8: unexpected end of input in attribute value`},
	{"eof in start tag", `<a x="1"`, `xml: line 1, column 9: unexpected end of input in start tag`},
	{"eof in end tag", `<a></a`, `xml: line 1, column 7: unexpected end of input in end tag`},
	{"garbage in end tag", `<a></a x>`, `xml: line 1, column 8: expected > in end tag </a>`},
	{"lone less than", `<a><</a>`, `xml: line 1, column 5: invalid name start character "<"`},
	{"eof after less than", `<a><`, `xml: line 1, column 5: unexpected end of input in markup`},
	{"undefined entity", `<a>&nbsp;</a>`, `xml: line 1, column 4: undefined entity &nbsp;`},
	{"entity without semicolon", `<a>&amp </a>`, `xml: line 1, column 4: malformed entity reference`},
	{"bare ampersand", `<a>AT&T</a>`, `xml: line 1, column 6: malformed entity reference`},
	{"character reference zero", `<a>&#0;</a>`, `xml: line 1, column 4: invalid character reference &#0;`},
	{"character reference surrogate", `<a>&#xD800;</a>`, `xml: line 1, column 4: invalid character reference &#xD800;`},
	{"character reference too large", `<a>&#x110000;</a>`, `xml: line 1, column 4: invalid character reference &#x110000;`},
	{"character reference huge", `<a>&#99999999999999999999;</a>`, `xml: line 1, column 4: invalid character reference &#99999999999999999999;`},
	{"character reference FFFE", `<a x="&#xFFFE;"/>`, `xml: line 1, column 7: invalid character reference &#xFFFE;`},
	{"character reference control", `<a>&#1;</a>`, `xml: line 1, column 4: invalid character reference &#1;`},
	{"character reference uppercase X", `<a>&#X41;</a>`, `xml: line 1, column 4: malformed character reference`},
	{"character reference empty", `<a>&#;</a>`, `xml: line 1, column 4: invalid character reference &#;`},
	{"cdata terminator in text", `<a>x]]>y</a>`, `xml: line 1, column 5: ]]> is not allowed in text`},
	{"cdata terminator in text slow path", `<a>&amp;]]></a>`, `xml: line 1, column 9: ]]> is not allowed in text`},
	{"double hyphen in comment", `<a><!-- a -- b --></a>`, `xml: line 1, column 11: -- is not allowed inside a comment`},
	{"comment ending in hyphen", `<a><!-- a ---></a>`, `xml: line 1, column 11: -- is not allowed inside a comment`},
	{"unterminated comment", `<a><!-- a`, `xml: line 1, column 10: unexpected end of input in comment`},
	{"unterminated cdata", `<a><![CDATA[x`, `xml: line 1, column 14: unexpected end of input in CDATA section`},
	{"invalid UTF-8 in text", "<a>\xff</a>", `xml: line 1, column 4: invalid UTF-8`},
	{"invalid UTF-8 in attribute", "<a x=\"\xc3\"/>", `xml: line 1, column 7: invalid UTF-8`},
	{"invalid UTF-8 in name", "<\xff/>", `xml: line 1, column 2: invalid UTF-8`},
	{"invalid UTF-8 in pi target", "<a><?\xff?></a>", `xml: line 1, column 6: invalid UTF-8`},
	{"invalid UTF-8 after name", "<ab\xff/>", `xml: line 1, column 4: expected whitespace, > or /> in start tag <ab>`},
	{"invalid UTF-8 after reference", "<a>&amp;\xff</a>", `xml: line 1, column 9: invalid UTF-8`},
	{"control character after reference", "<a>&amp;\x01</a>", `xml: line 1, column 9: illegal character U+0001`},
	{"bad reference after reference", "<a>&amp;&bogus;</a>", `xml: line 1, column 9: undefined entity &bogus;`},
	{"undefined entity in attribute", `<a x="&bogus;"/>`, `xml: line 1, column 7: undefined entity &bogus;`},
	{"invalid UTF-8 in attribute slow path", "<a x=\"&amp;\xff\"/>", `xml: line 1, column 12: invalid UTF-8`},
	{"control character in attribute slow path", "<a x=\"&amp;\x01\"/>", `xml: line 1, column 12: illegal character U+0001`},
	{"control character in attribute", "<a x=\"\x01\"/>", `xml: line 1, column 7: illegal character U+0001`},
	{"unterminated attribute slow path", `<a x="&amp;`, `xml: line 1, column 12: unexpected end of input in attribute value`},
	{"invalid UTF-8 in comment", "<a><!--\xff--></a>", `xml: line 1, column 8: invalid UTF-8`},
	{"declaration without equals", `<?xml version "1.0"?><a/>`, `xml: line 1, column 15: malformed XML declaration: expected =`},
	{"declaration unquoted value", `<?xml version=1.0?><a/>`, `xml: line 1, column 15: malformed XML declaration: value must be quoted`},
	{"declaration unterminated value", `<?xml version="1.0`, `xml: line 1, column 19: unexpected end of input in XML declaration`},
	{"declaration ends after equals", `<?xml version=`, `xml: line 1, column 15: unexpected end of input in XML declaration`},
	{"declaration unterminated", `<?xml version="1.0" `, `xml: line 1, column 21: unexpected end of input in XML declaration`},
	{"declaration unknown field", `<?xml version="1.0" other="x"?><a/>`, `xml: line 1, column 21: malformed XML declaration`},
	{"control character in text", "<a>\x01</a>", `xml: line 1, column 4: illegal character U+0001`},
	{"control character in comment", "<a><!--\x0b--></a>", `xml: line 1, column 8: illegal character U+000B`},
	{"control character in cdata", "<a><![CDATA[\x00]]></a>", `xml: line 1, column 13: illegal character U+0000`},
	{"noncharacter in text", "<a>\uFFFE</a>", `xml: line 1, column 4: illegal character U+FFFE`},
	{"column counts characters", "<a>éé</b>", `xml: line 1, column 6: unexpected end tag </b>, expected </a>`},
	{"CRLF is one line end", "<a>\r\n\r\n</b>", `xml: line 3, column 1: unexpected end tag </b>, expected </a>`},
	{"CR alone is a line end", "<a>\r\r</b>", `xml: line 3, column 1: unexpected end tag </b>, expected </a>`},
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range errorCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			doc, err := Parse([]byte(tc.in))
			if err == nil {
				t.Fatalf("Parse succeeded: %s", dump(doc))
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %T is not a *SyntaxError", err)
			}
			if err.Error() != tc.err {
				t.Errorf("error\ngot:  %s\nwant: %s", err, tc.err)
			}
		})
	}
}

func TestMaxDepth(t *testing.T) {
	t.Parallel()
	nest := func(n int) string {
		return strings.Repeat("<a>", n) + strings.Repeat("</a>", n)
	}
	tests := []struct {
		name  string
		opts  Options
		depth int
		err   string
	}{
		{"default limit reached", Options{}, DefaultMaxDepth, ""},
		{"default limit exceeded", Options{}, DefaultMaxDepth + 1, `xml: line 1, column 3073: element nesting exceeds the maximum depth of 1024`},
		{"custom limit reached", Options{MaxDepth: 3}, 3, ""},
		{"custom limit exceeded", Options{MaxDepth: 3}, 4, `xml: line 1, column 10: element nesting exceeds the maximum depth of 3`},
		{"empty element counts", Options{MaxDepth: 1}, 1, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := tc.opts.Parse([]byte(nest(tc.depth)))
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.err {
				t.Errorf("got %q, want %q", got, tc.err)
			}
		})
	}
	t.Run("self-closing leaf at limit", func(t *testing.T) {
		t.Parallel()
		if _, err := (Options{MaxDepth: 2}).ParseString(`<a><b/></a>`); err != nil {
			t.Fatal(err)
		}
		if _, err := (Options{MaxDepth: 2}).ParseString(`<a><b><c/></b></a>`); err == nil {
			t.Fatal("depth 3 accepted with MaxDepth 2")
		}
	})
}

func TestParseElement(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want, err string
	}{
		{"root returned detached", `<!--c--><r xmlns="urn:r"><x/></r>`, `<r xmlns="urn:r"><x/></r>`, ""},
		{"error passed through", `<r>`, "", `xml: line 1, column 4: unexpected end of input: element <r> is not closed`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			el, err := ParseElement([]byte(tc.in))
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("got %v, want %s", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if el.Parent != nil || el.Type != ElementNode {
				t.Fatalf("not a detached element: %+v", el)
			}
			if got := el.String(); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestParseDoesNotAliasInput(t *testing.T) {
	t.Parallel()
	data := []byte(`<a x="v">text</a>`)
	doc, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	for i := range data {
		data[i] = 'z'
	}
	if got := doc.String(); got != `<a x="v">text</a>` {
		t.Errorf("tree changed with its input: %s", got)
	}
}

func TestManyNamespaceBindings(t *testing.T) {
	t.Parallel()
	// Enough bindings to switch the scope to its map index, with
	// shadowing and popping exercised on both sides of the switch.
	var b strings.Builder
	const n = 100
	for i := range n {
		b.WriteString(`<e xmlns:p="urn:` + string(rune('a'+i%26)) + `" xmlns:q` + strconv.Itoa(i) + `="urn:q">`)
	}
	b.WriteString(`<p:leaf q7:x="1"/>`)
	for range n {
		b.WriteString(`</e>`)
	}
	doc := mustParse(t, b.String())
	leaf := doc.DocumentElement()
	for leaf.FirstChild != nil {
		leaf = leaf.FirstChild
	}
	if leaf.Name.Space != "urn:"+string(rune('a'+(n-1)%26)) || leaf.Attrs[0].Name.Space != "urn:q" {
		t.Fatalf("leaf resolved to %s", dump(leaf))
	}
	reparse(t, doc)
	doc = mustParse(t, `<r xmlns:p="urn:top">`+b.String()+`<p:after/></r>`)
	if got := doc.DocumentElement().LastChild.Name.Space; got != "urn:top" {
		t.Errorf("binding not restored after pop: %q", got)
	}
}

func TestNameCharacters(t *testing.T) {
	t.Parallel()
	tests := []struct {
		r            rune
		start, inner bool
	}{
		{'a', true, true}, {'_', true, true}, {'-', false, true}, {'.', false, true}, {'5', false, true},
		{':', false, false}, {'!', false, false},
		{0xB7, false, true}, {0xC0, true, true}, {0xD7, false, false}, {0xF7, false, false}, {0x2FF, true, true},
		{0x300, false, true}, {0x36F, false, true}, {0x370, true, true}, {0x37E, false, false}, {0x37F, true, true},
		{0x1FFF, true, true}, {0x2000, false, false}, {0x200C, true, true}, {0x200D, true, true}, {0x203F, false, true},
		{0x2040, false, true}, {0x2070, true, true}, {0x218F, true, true}, {0x2190, false, false}, {0x2C00, true, true},
		{0x2FEF, true, true}, {0x2FF0, false, false}, {0x3000, false, false}, {0x3001, true, true}, {0xD7FF, true, true},
		{0xE000, false, false}, {0xF900, true, true}, {0xFDCF, true, true}, {0xFDD0, false, false}, {0xFDF0, true, true},
		{0xFFFD, true, true}, {0xFFFE, false, false}, {0x10000, true, true}, {0xEFFFF, true, true}, {0xF0000, false, false},
	}
	for _, tc := range tests {
		for _, pos := range []string{"start", "inner"} {
			name := "x" + string(tc.r)
			want := tc.inner
			if pos == "start" {
				name, want = string(tc.r), tc.start
			}
			if got := isNCName(name); got != want {
				t.Errorf("isNCName(%q) as %s = %v, want %v", name, pos, got, want)
			}
			_, err := ParseString("<" + name + "/>")
			if got := err == nil; got != want {
				t.Errorf("Parse <%s/> (U+%04X %s) accepted = %v, want %v (%v)", name, tc.r, pos, got, want, err)
			}
		}
	}
	if isNCName("") || isNCName("a\xff") {
		t.Error("isNCName accepted an empty or invalid name")
	}
}
