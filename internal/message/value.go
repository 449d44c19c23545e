package message

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	mrand "math/rand/v2"
	"strconv"
	"sync"

	"github.com/busbar/busbar/internal/jsontree"
	"github.com/busbar/busbar/internal/jsontree/javanum"
	"github.com/busbar/busbar/internal/xmltree"
)

// ValueString renders a property value as Synapse's get-property does.
func ValueString(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	case int:
		return strconv.Itoa(t)
	case int64:
		return strconv.FormatInt(t, 10)
	case bool:
		return strconv.FormatBool(t)
	case float64:
		// Java's Double.toString, which MI's properties print with.
		return javanum.DoubleString(t)
	case float32:
		return javanum.DoubleString(float64(t))
	case *xmltree.Node:
		return t.String()
	case *jsontree.Value:
		return t.String()
	case []byte:
		return string(t)
	case fmt.Stringer:
		return t.String()
	}
	return fmt.Sprint(v)
}

// idSource hands out random UUIDs without a system call per message: a
// ChaCha8 generator seeded from crypto/rand, one per P via a pool.
var idSource = sync.Pool{New: func() any {
	var seed [32]byte
	_, _ = rand.Read(seed[:])
	return mrand.NewChaCha8(seed)
}}

// NewID returns a Synapse-style message ID, "urn:uuid:" and a random
// (version 4) UUID.
func NewID() string {
	g := idSource.Get().(*mrand.ChaCha8)
	var u [16]byte
	binary.LittleEndian.PutUint64(u[:8], g.Uint64())
	binary.LittleEndian.PutUint64(u[8:], g.Uint64())
	idSource.Put(g)
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	var b [45]byte
	copy(b[:], "urn:uuid:")
	hex.Encode(b[9:17], u[0:4])
	b[17] = '-'
	hex.Encode(b[18:22], u[4:6])
	b[22] = '-'
	hex.Encode(b[23:27], u[6:8])
	b[27] = '-'
	hex.Encode(b[28:32], u[8:10])
	b[32] = '-'
	hex.Encode(b[33:45], u[10:16])
	return string(b[:])
}
