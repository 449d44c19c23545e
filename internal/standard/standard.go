// Package standard links every built-in component into the binary: each
// component package registers itself in its init functions, and importing
// it here is all a new package needs to be part of Busbar.
package standard

import (
	// Endpoint kinds.
	_ "github.com/busbar/busbar/internal/endpoint"
	// Mediators.
	_ "github.com/busbar/busbar/internal/mediator"
	// Message processors.
	_ "github.com/busbar/busbar/internal/processor"
	// Message store kinds.
	_ "github.com/busbar/busbar/internal/stores"
)
