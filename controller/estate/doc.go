// Package estate joins a gate to its estate's office over NATS JetStream
// (docs/estate.md): an embedded nats-server per menweid — a gate's a leaf
// node of the office's, each with its own JetStream domain — the gate's
// Uploader, which sends its event log up exactly once, and the office's
// Office, which applies every gate's events into its store once, by (gate,
// seq), and checks each gate's chain.
//
// The gate's event log is the buffer: the Uploader only reads it, after
// the cursor it persists once the office's stream has acknowledged; while
// the link is down the events wait where they already are, synced.
package estate
