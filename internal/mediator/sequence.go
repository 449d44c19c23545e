package mediator

import (
	"github.com/busbar/busbar/internal/config"
	"github.com/busbar/busbar/internal/engine"
	"github.com/busbar/busbar/internal/expr"
	"github.com/busbar/busbar/internal/registry"
)

func init() {
	registry.RegisterMediator(registry.Spec{
		Element: "sequence",
		Aliases: []string{"org.apache.synapse.mediators.base.SequenceMediator"},
		Summary: "Runs a named sequence (key, or {expression} resolved per message), or an inline anonymous one.",
		Attrs: []registry.Attr{
			{Name: "key", Type: "key", Doc: "Name of the sequence, or {xpath} to compute it per message."},
			{Name: "onError", Type: "key", Doc: "Fault sequence for an inline sequence."},
		},
		Mediators: true,
		Examples: []registry.Example{{
			Title: "Reuse a sequence", Config: `<sequence key="setFlag"/>`,
			Input: `<a/>`, InputType: "application/xml", Props: map[string]string{"flag": "set"},
		}},
	}, newSequence)
}

type sequenceMediator struct {
	ref    engine.SeqRef
	key    expr.Key
	inline *engine.Sequence
}

// callSequencer is implemented by compile's builder so that the sequence
// mediator's references take part in cycle detection.
type callSequencer interface {
	CallSequence(key string, pos config.Pos) engine.SeqRef
}

func newSequence(b registry.Builder, el *config.Element) (engine.Mediator, error) {
	keyAttr := el.Attr("key")
	if keyAttr == nil {
		s := b.Mediators(el, "")
		if k := el.Get("onError"); k != "" {
			s.OnError = b.SequenceRef(k, el.Pos)
		}
		return &sequenceMediator{inline: s}, nil
	}
	if len(el.Children) > 0 {
		b.Errorf(el.Pos, "<sequence key=...> refers to a sequence and cannot contain mediators")
	}
	k := b.Key(el, keyAttr.Value, keyAttr.Pos)
	m := &sequenceMediator{key: k}
	if k.Ex == nil {
		if cs, ok := b.(callSequencer); ok {
			m.ref = cs.CallSequence(k.Static, keyAttr.Pos)
		} else {
			m.ref = b.SequenceRef(k.Static, keyAttr.Pos)
		}
	}
	return m, nil
}

func (s *sequenceMediator) Mediate(c *engine.Context) (bool, error) {
	if s.inline != nil {
		return c.Run(s.inline)
	}
	ref := s.ref
	if s.key.Ex != nil {
		name, err := s.key.Eval(c.Msg)
		if err != nil {
			return false, err
		}
		ref = engine.SeqRef{Key: name}
	}
	seq, err := ref.Resolve(c.G)
	if err != nil {
		return false, err
	}
	return c.Run(seq)
}
