package store_test

import (
	"testing"

	"github.com/busbar/busbar/internal/store"
	"github.com/busbar/busbar/internal/store/storetest"
)

func TestMemoryConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, storetest.Kind{Open: func(t *testing.T, name string) store.Store {
		s := store.NewMemory(name)
		t.Cleanup(func() { _ = s.Close() })
		return s
	}})
}

func TestCodecRoundTrip(t *testing.T) {
	t.Parallel()
	m := storetest.Msg(3)
	data, err := store.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	got, err := store.Decode(data)
	if err != nil || got.ID != m.ID || string(got.Body) != string(m.Body) {
		t.Fatalf("%+v %v", got, err)
	}
	if _, err := store.Decode([]byte("nope")); err == nil {
		t.Fatal("garbage decoded")
	}
}
