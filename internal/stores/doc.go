// Package stores holds Busbar's message store kinds, one self-registering
// file each, selected by MI's <messageStore class> names (plus Busbar's
// own): memory, the embedded durable store, PostgreSQL (JDBC and
// resequencing), RabbitMQ and NATS JetStream. The contract they all meet is
// store.Store, checked by the store/storetest suite.
package stores
