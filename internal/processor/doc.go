// Package processor holds Busbar's message processors, one self-registering
// file each: the scheduled message forwarding processor, the failover
// forwarding processor and the sampling processor. A processor takes
// messages from a store (store.Store) and delivers them, through the target
// endpoint's state machine, retrying and deactivating as MI does, and sends
// what it cannot deliver to the failed-message store.
package processor
