// Package store defines Busbar's message stores: where the store mediator
// puts a message and a processor later takes it from. A Store guarantees
// that a message whose Put returned is kept until a consumer acknowledges
// it (durably for every kind but the in-memory one), and hands each
// message to one consumer at a time through a lease, so several processors
// (or several Busbar nodes on a shared store) never deliver the same
// message concurrently. Kinds (memory, embedded, PostgreSQL, RabbitMQ, NATS
// JetStream) register themselves with the registry in their own files.
package store

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// Message is a stored message: everything needed to deliver it later as
// if it had just reached the store mediator.
type Message struct {
	// ID is the message's Synapse MessageID; it identifies the message in
	// the store.
	ID         string            `json:"id"`
	Created    time.Time         `json:"created"`
	Method     string            `json:"method,omitempty"`
	RequestURI string            `json:"requestUri,omitempty"`
	To         string            `json:"to,omitempty"`
	Header     http.Header       `json:"header,omitempty"`
	Props      map[string]string `json:"props,omitempty"`
	Axis2      map[string]string `json:"axis2,omitempty"`
	Operation  map[string]string `json:"operation,omitempty"`
	// ContentType and Body are the payload as it was when stored,
	// serialised in its format.
	ContentType string `json:"contentType,omitempty"`
	Body        []byte `json:"-"`
	// Attempts counts delivery attempts so far (kept by stores that can
	// record it on Release).
	Attempts int `json:"attempts,omitempty"`
}

// Store is one message store. Implementations are safe for concurrent use.
type Store interface {
	// Name is the store's name in the configuration.
	Name() string
	// Kind names the implementation (memory, embedded, jdbc, rabbitmq, jetstream).
	Kind() string
	// Put stores a message. When it returns nil the message is kept (on
	// disk, or acknowledged by the broker, for durable kinds).
	Put(ctx context.Context, m *Message) error
	// Next leases the oldest message no other consumer holds, waiting up
	// to wait for one to arrive (0: do not wait). It returns (nil, nil)
	// when there is none. The lease lasts until Ack or Release, or until
	// the consumer dies (its connection or lease expires).
	Next(ctx context.Context, wait time.Duration) (*Delivery, error)
	// Size is the number of messages kept, leased ones included.
	Size(ctx context.Context) (int64, error)
	// Close releases the store's resources; leased messages stay stored.
	Close() error
}

// Delivery is a leased message.
type Delivery struct {
	Message *Message
	// Ops implement the lease's outcome for one store kind.
	Ops DeliveryOps
}

// DeliveryOps are a store's lease operations.
type DeliveryOps interface {
	// Ack removes the message for good.
	Ack(ctx context.Context) error
	// Release gives the message back, first in line again, recording
	// the attempts made so far where the store can.
	Release(ctx context.Context, attempts int) error
	// Touch extends the lease while a consumer keeps retrying the same
	// message (a no-op for stores whose leases do not expire).
	Touch(ctx context.Context) error
}

// Ack removes the message for good.
func (d *Delivery) Ack(ctx context.Context) error { return d.Ops.Ack(ctx) }

// Release gives the message back, first in line again.
func (d *Delivery) Release(ctx context.Context, attempts int) error {
	return d.Ops.Release(ctx, attempts)
}

// Touch extends the lease.
func (d *Delivery) Touch(ctx context.Context) error { return d.Ops.Touch(ctx) }

// ErrClosed is returned by operations on a closed store.
var ErrClosed = errors.New("message store is closed")

// Config is what a store kind is built from: the <messageStore> element's
// name, class and parameters, plus the process's data directory.
type Config struct {
	Name    string
	Class   string
	Params  map[string]string
	DataDir string
}

// Param returns a parameter or def.
func (c Config) Param(name, def string) string {
	if v, ok := c.Params[name]; ok && v != "" {
		return v
	}
	return def
}
