package engine

// IndirectEndpoint is <endpoint key="X"/>: the named endpoint is looked up
// on every send, so a key that names nothing fails at run time with 305100,
// as in MI, and the state belongs to the real endpoint.
type IndirectEndpoint struct {
	Key string
}

// Name returns the key.
func (e *IndirectEndpoint) Name() string { return e.Key }

// Send resolves the key and sends through the real endpoint.
func (e *IndirectEndpoint) Send(c *Context) error {
	ep, err := EndpointRef{Key: e.Key}.Resolve(c.G)
	if err != nil {
		return err
	}
	return ep.Send(c)
}
