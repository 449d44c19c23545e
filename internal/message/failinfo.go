package message

import (
	"github.com/busbar/busbar/internal/fault"
	"github.com/busbar/busbar/internal/xmltree"
)

// FailInfo renders the message's latest fault and its predecessors as the
// FAIL_INFO element (IBM's failInfo, DESIGN §4):
//
//	<failInfo>
//	  <failureString>101503: Error connecting to the back end</failureString>
//	  <errorCode>101503</errorCode><errorMessage>...</errorMessage><errorDetail>...</errorDetail>
//	  <origin>api[a]/resource[1]/inSequence/call[1]</origin>
//	  <invocationPath><step path="..." entered="request" left="out"/>...</invocationPath>
//	  <predecessor><failInfo>...</failInfo></predecessor>
//	</failInfo>
//
// It returns nil when the message has had no fault.
func (m *Message) FailInfo() *xmltree.Node {
	if m.Fault == nil {
		return nil
	}
	return failInfo(m.Fault, 0)
}

// maxPredecessors bounds the chain rendered, in case a flow fails in a
// loop.
const maxPredecessors = 16

func failInfo(f *fault.Error, depth int) *xmltree.Node {
	el := xmltree.NewElement("", "failInfo", "")
	text := func(name, v string) {
		c := xmltree.NewElement("", name, "")
		if v != "" {
			c.AppendChild(xmltree.NewText(v))
		}
		el.AppendChild(c)
	}
	text("failureString", f.Error())
	text("errorCode", f.Code.String())
	text("errorMessage", f.Message)
	text("errorDetail", f.Detail)
	text("origin", f.Path)
	path := xmltree.NewElement("", "invocationPath", "")
	for _, s := range f.Trail {
		step := xmltree.NewElement("", "step", "")
		step.SetAttr(xmltree.Name{Local: "path"}, s.Path)
		step.SetAttr(xmltree.Name{Local: "entered"}, s.Entered)
		if s.Left != "" {
			step.SetAttr(xmltree.Name{Local: "left"}, s.Left)
		}
		path.AppendChild(step)
	}
	el.AppendChild(path)
	if f.Prev != nil && depth < maxPredecessors {
		p := xmltree.NewElement("", "predecessor", "")
		p.AppendChild(failInfo(f.Prev, depth+1))
		el.AppendChild(p)
	}
	return el
}
