package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
)

// magic starts every encoded message, so a store can tell Busbar's
// records from anything else (and from a future format).
var magic = [4]byte{'B', 'B', 'M', '1'}

// Encode serialises a message: the magic, the length of a JSON head with
// every field but the body, the head, then the body bytes as they are.
func Encode(m *Message) ([]byte, error) {
	head, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encoding stored message %s: %w", m.ID, err)
	}
	out := make([]byte, 0, len(magic)+binary.MaxVarintLen64+len(head)+len(m.Body))
	out = append(out, magic[:]...)
	out = binary.AppendUvarint(out, uint64(len(head)))
	out = append(out, head...)
	return append(out, m.Body...), nil
}

// ErrCorrupt reports a record that is not an encoded message.
var ErrCorrupt = errors.New("stored record is not a Busbar message")

// Decode reverses Encode. The body aliases data.
func Decode(data []byte) (*Message, error) {
	if len(data) < len(magic) || [4]byte(data[:4]) != magic {
		return nil, ErrCorrupt
	}
	n, k := binary.Uvarint(data[4:])
	if k <= 0 || uint64(len(data)-4-k) < n {
		return nil, ErrCorrupt
	}
	head := data[4+k : 4+k+int(n)]
	m := &Message{}
	if err := json.Unmarshal(head, m); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	m.Body = data[4+k+int(n):]
	return m, nil
}
