package eventlog

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// exportPage is how many events Export reads in one transaction.
const exportPage = 1000

// csvHeader names the CSV columns Export writes.
var csvHeader = []string{"seq", "time", "kind", "door", "pd", "identity", "name", "card", "card_ref",
	"factor", "side", "alarm", "reason", "detail", "prev", "hash", "ref", "account",
	"face_ref", "salt", "digest", "erased", "covers"}

// Export writes the events q selects, in sequence order, to out and returns
// how many it wrote. q.Limit is ignored: Export writes every match, up to
// the last event appended when it starts. It reads the log a page at a time
// and writes a page only after its read transaction has ended, so memory
// stays bounded however long the log is and a slow out holds no
// transaction open.
//
// format is "jsonl", one event per line exactly as stored, or "csv", a
// header row and then the columns of csvHeader with the time in RFC 3339
// UTC. A CSV file is opened in a spreadsheet, which runs a cell that starts
// with = + - @ (or a tab or carriage return) as a formula: such a cell, and
// a cell that starts with ' so that the rule stays reversible, is written
// with a leading ' (UnescapeCell undoes it). The jsonl form is the log
// exactly as stored, to verify hashes from. Export stops between pages with ctx's error when ctx is done and with
// ErrClosed after Close; what it wrote by then is whole lines.
func (w *Log) Export(ctx context.Context, q Query, format string, out io.Writer) (int, error) {
	var (
		write func(e storedEvent) error
		flush func() error
	)
	switch format {
	case "jsonl":
		bw := bufio.NewWriter(out)
		write = func(e storedEvent) error {
			bw.Write(e.raw)
			return bw.WriteByte('\n') // bufio keeps the first error; Flush returns it
		}
		flush = bw.Flush
	case "csv":
		cw := csv.NewWriter(out)
		if err := cw.Write(csvHeader); err != nil {
			return 0, fmt.Errorf("eventlog: export: %w", err)
		}
		row := make([]string, len(csvHeader))
		write = func(e storedEvent) error { return cw.Write(csvRow(row, e.Event)) }
		flush = func() error { cw.Flush(); return cw.Error() }
	default:
		return 0, fmt.Errorf("eventlog: export: unknown format %q (want jsonl or csv)", format)
	}

	w.mu.Lock()
	last := w.seq
	w.mu.Unlock()
	n, after := 0, q.After
	var page []storedEvent
	for after < last {
		if err := ctx.Err(); err != nil {
			return n, errors.Join(err, flush())
		}
		err := w.whileOpen(func() (err error) {
			page, after, err = w.scan(page[:0], after, last, exportPage, q.match)
			return err
		})
		if errors.Is(err, ErrClosed) {
			return n, errors.Join(err, flush())
		}
		if err == nil {
			for _, e := range page {
				if err = write(e); err != nil {
					break
				}
				n++
			}
		}
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

// storedEvent is an event and the JSON it is stored as.
type storedEvent struct {
	Event
	raw []byte
}

// scan reads at most max events with after < seq <= upTo in one
// transaction, appends those keep accepts to page and returns it and the
// seq to continue after: upTo when there are no more.
func (w *Log) scan(page []storedEvent, after, upTo uint64, max int, keep func(Event) bool) ([]storedEvent, uint64, error) {
	next := upTo
	err := w.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(keyEvent), PrefetchValues: true, PrefetchSize: 100})
		defer it.Close()
		seen := 0
		for it.Seek(eventKey(after + 1)); it.Valid(); it.Next() {
			item := it.Item()
			seq, ok := seqOf(item.Key())
			if !ok {
				return fmt.Errorf("stray key %q", item.Key())
			}
			if seq > upTo {
				return nil
			}
			var e storedEvent
			err := item.Value(func(b []byte) error {
				if err := json.Unmarshal(b, &e.Event); err != nil {
					return fmt.Errorf("event %d: %w", seq, err)
				}
				if keep(e.Event) {
					e.raw = bytes.Clone(b)
					page = append(page, e)
				}
				return nil
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
	return page, next, err
}

// csvRow fills row with e's columns in csvHeader order, each cell through
// escapeCell.
func csvRow(row []string, e Event) []string {
	row[0] = strconv.FormatUint(e.Seq, 10)
	row[1] = e.Time.UTC().Format(time.RFC3339Nano)
	row[2], row[3], row[4], row[5], row[6] = e.Kind, e.Door, e.PD, e.Identity, e.Name
	row[7], row[8], row[9], row[10] = e.Card, e.CardRef, e.Factor, e.Side
	row[11] = strconv.FormatBool(e.Alarm)
	row[12], row[13], row[14], row[15] = e.Reason, e.Detail, e.Prev, e.Hash
	row[16], row[17] = "", e.Account
	if e.Ref != 0 {
		row[16] = strconv.FormatUint(e.Ref, 10)
	}
	row[18], row[19], row[20], row[21], row[22] = e.FaceRef, e.Salt, e.Digest, "", e.Covers
	if e.Erased != 0 {
		row[21] = strconv.FormatUint(e.Erased, 10)
	}
	for i, c := range row {
		row[i] = escapeCell(c)
	}
	return row
}

// escapeCell guards a CSV cell against spreadsheet formula injection: a
// cell starting with = + - @, a tab or a carriage return gets a leading '
// (which spreadsheets take as "text"), and so does one already starting
// with ', so that UnescapeCell can always undo it.
func escapeCell(c string) string {
	if c != "" && strings.ContainsRune("=+-@\t\r'", rune(c[0])) {
		return "'" + c
	}
	return c
}

// UnescapeCell returns the value a CSV cell of Export stands for.
func UnescapeCell(c string) string { return strings.TrimPrefix(c, "'") }

// CSVWriter writes events from several logs as Export's CSV, with a first
// column naming each one's log (the office's export: its own and its
// gates'), escaped as Export escapes.
type CSVWriter struct {
	cw     *csv.Writer
	row    []string
	header []string
}

// NewCSVWriter writes to out; the header row goes with the first Write or
// Flush. column names the first column.
func NewCSVWriter(out io.Writer, column string) *CSVWriter {
	return &CSVWriter{cw: csv.NewWriter(out), row: make([]string, len(csvHeader)), header: append([]string{column}, csvHeader...)}
}

// Write writes e of source.
func (c *CSVWriter) Write(source string, e Event) error {
	if err := c.writeHeader(); err != nil {
		return err
	}
	return c.cw.Write(append([]string{escapeCell(source)}, csvRow(c.row, e)...))
}

func (c *CSVWriter) writeHeader() error {
	if c.header == nil {
		return nil
	}
	h := c.header
	c.header = nil
	return c.cw.Write(h)
}

// Flush writes what is buffered and returns the first error.
func (c *CSVWriter) Flush() error {
	if err := c.writeHeader(); err != nil {
		return err
	}
	c.cw.Flush()
	return c.cw.Error()
}
