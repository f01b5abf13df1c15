// Package eventlog is the controller's audit trail: a durable, hash-chained
// log of access events kept in the Badger database the controller owns.
//
// Append returns only once its event is synced to disk. One goroutine
// writes: Appends that arrive while a write is in progress go together into
// the next transaction, one sync for the batch (group commit). Each event's
// Hash covers its content and the previous event's hash, so VerifyChain
// finds the first event that was changed, removed or put back.
//
// Keys, all under the log's prefixes:
//
//	!!ev/<seq: 8 bytes, big endian>  Event as JSON, seq 1, 2, 3, ... with no gaps
//	                               (before every other key; ev/ until schema 2)
//	meta/evhead                    {"seq","hash"} of the last event
//	meta/evanchor                  {"seq","prev"}: the oldest retained event
//	                               and the hash it chains from; absent until
//	                               the first Prune, meaning {1, ""}
//
// Prune removes old events from the tail in bounded transactions while
// Appends go on at the head, moving the anchor with each step, so the
// retained events stay verifiable. Removing the oldest events and moving
// the anchor to match is what pruning is, so a chain without a key cannot
// tell it from an attacker doing the same; anything else shows.
//
// Export streams the events a Query selects as JSON lines or CSV.
package eventlog
