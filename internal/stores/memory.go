package stores

import (
	"github.com/busbar/busbar/internal/config"
	"github.com/busbar/busbar/internal/registry"
	"github.com/busbar/busbar/internal/store"
)

func init() {
	registry.RegisterStore(registry.Spec{
		Element: "memory",
		Aliases: []string{"org.apache.synapse.message.store.impl.memory.InMemoryStore"},
		Summary: "MI's in-memory store: a FIFO queue in this process, lost on restart and not shared between nodes.",
		Doc: "Use it where MI did and losing stored messages on a restart is acceptable; otherwise use the embedded " +
			"durable store (class busbar.EmbeddedStore), which needs nothing installed.",
	}, func(_ registry.Builder, def *config.MessageStore, _ store.Config) (store.Store, error) {
		return store.NewMemory(def.Name), nil
	})
}
