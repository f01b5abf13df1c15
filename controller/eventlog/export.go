package eventlog

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// exportPage is how many events Export reads in one transaction.
const exportPage = 1000

// csvHeader names the CSV columns Export writes.
var csvHeader = []string{"seq", "time", "kind", "door", "pd", "identity", "name", "card", "card_ref",
	"factor", "side", "alarm", "reason", "detail", "prev", "hash"}

// Export writes the events q selects, in sequence order, to out and returns
// how many it wrote. q.Limit is ignored: Export writes every match, up to
// the last event appended when it starts, reading the log a page at a time
// so memory stays bounded however long the log is.
//
// format is "jsonl", one event per line exactly as stored, or "csv", a
// header row and then the columns of csvHeader with the time in RFC 3339
// UTC. It stops with ctx's error when ctx is done.
func (w *Log) Export(ctx context.Context, q Query, format string, out io.Writer) (int, error) {
	var (
		write func(e Event, raw []byte) error
		flush func() error
	)
	switch format {
	case "jsonl":
		bw := bufio.NewWriter(out)
		write = func(_ Event, raw []byte) error {
			bw.Write(raw)
			return bw.WriteByte('\n') // bufio keeps the first error; Flush returns it
		}
		flush = bw.Flush
	case "csv":
		cw := csv.NewWriter(out)
		if err := cw.Write(csvHeader); err != nil {
			return 0, fmt.Errorf("eventlog: export: %w", err)
		}
		row := make([]string, len(csvHeader))
		write = func(e Event, _ []byte) error { return cw.Write(csvRow(row, e)) }
		flush = func() error { cw.Flush(); return cw.Error() }
	default:
		return 0, fmt.Errorf("eventlog: export: unknown format %q (want jsonl or csv)", format)
	}

	w.mu.Lock()
	last := w.seq
	w.mu.Unlock()
	n, after := 0, q.After
	for after < last {
		if err := ctx.Err(); err != nil {
			flush() // what was written is whole lines
			return n, err
		}
		var err error
		after, err = w.scan(after, last, exportPage, func(e Event, raw []byte) error {
			if !q.match(e) {
				return nil
			}
			if err := write(e, raw); err != nil {
				return err
			}
			n++
			return nil
		})
		if err == nil {
			err = flush()
		}
		if err != nil {
			return n, fmt.Errorf("eventlog: export: %w", err)
		}
	}
	if err := flush(); err != nil { // the CSV header of an empty export
		return n, fmt.Errorf("eventlog: export: %w", err)
	}
	return n, nil
}

// scan calls fn for at most max events with after < seq <= upTo in one
// transaction and returns the seq to continue after: upTo when there are no
// more. raw is the stored JSON, valid only during the call.
func (w *Log) scan(after, upTo uint64, max int, fn func(e Event, raw []byte) error) (uint64, error) {
	next := upTo
	err := w.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(keyEvent), PrefetchValues: true, PrefetchSize: 100})
		defer it.Close()
		seen := 0
		for it.Seek(eventKey(after + 1)); it.Valid(); it.Next() {
			key := it.Item().Key()
			if len(key) != len(keyEvent)+8 {
				return fmt.Errorf("stray key %q", key)
			}
			seq := binary.BigEndian.Uint64(key[len(keyEvent):])
			if seq > upTo {
				return nil
			}
			err := it.Item().Value(func(b []byte) error {
				var e Event
				if err := json.Unmarshal(b, &e); err != nil {
					return fmt.Errorf("event %d: %w", seq, err)
				}
				return fn(e, b)
			})
			if err != nil || seq == upTo {
				return err
			}
			if seen++; seen == max {
				next = seq
				return nil
			}
		}
		return nil
	})
	return next, err
}

// csvRow fills row with e's columns in csvHeader order.
func csvRow(row []string, e Event) []string {
	row[0] = strconv.FormatUint(e.Seq, 10)
	row[1] = e.Time.UTC().Format(time.RFC3339Nano)
	row[2], row[3], row[4], row[5], row[6] = e.Kind, e.Door, e.PD, e.Identity, e.Name
	row[7], row[8], row[9], row[10] = e.Card, e.CardRef, e.Factor, e.Side
	row[11] = strconv.FormatBool(e.Alarm)
	row[12], row[13], row[14], row[15] = e.Reason, e.Detail, e.Prev, e.Hash
	return row
}
