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
	"sync"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fill appends n events made by mk from 128 goroutines at once, so that
// they go in large group commits.
func fill(t testing.TB, l *Log, n int, mk func(i int) Event) {
	t.Helper()
	const writers = 128
	var wg sync.WaitGroup
	for g := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; i < n; i += writers {
				if _, err := l.Append(context.Background(), mk(i)); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	require.False(t, t.Failed())
}

// allEvents pages through q with Events.
func allEvents(t testing.TB, l *Log, q Query) []Event {
	t.Helper()
	q.Limit = 1000
	var out []Event
	for {
		page, err := l.Events(q)
		require.NoError(t, err)
		if len(page) == 0 {
			return out
		}
		out = append(out, page...)
		q.After = page[len(page)-1].Seq
	}
}

var t0 = time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)

// tricky is a Detail that needs CSV quoting.
const tricky = "door \"north\", forced\nsecond line, with \"quotes\""

func exportFixture(t *testing.T) *testStore {
	s := openTestStore(t, t.TempDir())
	fill(t, s.Log, 2500, func(i int) Event {
		e := Event{Time: t0.Add(time.Duration(i) * time.Minute), Kind: kindGranted,
			Door: fmt.Sprint("d", i%3), Identity: fmt.Sprint("r", i%7), Detail: fmt.Sprint("n", i)}
		if i%10 == 0 {
			e.Kind, e.Reason, e.Alarm = kindDenied, "unknown card", true
		}
		if i == 1234 {
			e.Detail = tricky
		}
		return e
	})
	return s
}

func TestExportJSONLIsTheStoredEvents(t *testing.T) {
	s := exportFixture(t)
	var buf bytes.Buffer
	n, err := s.Export(context.Background(), Query{Limit: 5}, "jsonl", &buf)
	require.NoError(t, err)
	assert.Equal(t, 2500, n, "Limit is ignored")

	stored := map[uint64][]byte{}
	require.NoError(t, s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(keyEvent)})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			v, err := it.Item().ValueCopy(nil)
			require.NoError(t, err)
			stored[uint64(len(stored)+1)] = v
		}
		return nil
	}))

	want := allEvents(t, s.Log, Query{})
	var got []Event
	sc := bufio.NewScanner(&buf)
	for sc.Scan() {
		var e Event
		require.NoError(t, json.Unmarshal(sc.Bytes(), &e))
		assert.Equal(t, stored[e.Seq], sc.Bytes(), "line of event %d is the stored JSON", e.Seq)
		got = append(got, e)
	}
	require.NoError(t, sc.Err())
	assert.Equal(t, want, got)
}

func TestExportFilters(t *testing.T) {
	s := exportFixture(t)
	all := allEvents(t, s.Log, Query{})
	for _, q := range []Query{
		{Kind: kindDenied},
		{Door: "d1", Identity: "r3"},
		{After: 1700},
		{After: 999, Kind: kindGranted, Door: "d2"},
		{Since: t0.Add(100 * time.Minute), Until: t0.Add(1100 * time.Minute)},
		{Identity: "nobody"},
		{After: 2500},
	} {
		t.Run(fmt.Sprintf("%+v", q), func(t *testing.T) {
			var want []Event
			for _, e := range all {
				if e.Seq > q.After && q.match(e) {
					want = append(want, e)
				}
			}
			var buf bytes.Buffer
			n, err := s.Export(context.Background(), q, "jsonl", &buf)
			require.NoError(t, err)
			assert.Equal(t, len(want), n)
			var got []Event
			for dec := json.NewDecoder(&buf); ; {
				var e Event
				if err := dec.Decode(&e); err == io.EOF {
					break
				} else {
					require.NoError(t, err)
				}
				got = append(got, e)
			}
			assert.Equal(t, want, got)

			var cbuf bytes.Buffer
			n, err = s.Export(context.Background(), q, "csv", &cbuf)
			require.NoError(t, err)
			assert.Equal(t, len(want), n)
			rows, err := csv.NewReader(&cbuf).ReadAll()
			require.NoError(t, err)
			assert.Len(t, rows, len(want)+1, "a header and a row per event")
		})
	}
}

func TestExportCSV(t *testing.T) {
	s := exportFixture(t)
	var buf bytes.Buffer
	n, err := s.Export(context.Background(), Query{}, "csv", &buf)
	require.NoError(t, err)
	require.Equal(t, 2500, n)
	assert.Contains(t, buf.String(), `"door ""north"", forced`+"\n"+`second line, with ""quotes"""`)

	rows, err := csv.NewReader(&buf).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 2501)
	assert.Equal(t, []string{"seq", "time", "kind", "door", "pd", "identity", "name", "card", "card_ref",
		"factor", "side", "alarm", "reason", "detail", "prev", "hash", "ref", "account"}, rows[0])
	all := allEvents(t, s.Log, Query{})
	for i, row := range rows[1:] {
		e := all[i]
		tm, err := time.Parse(time.RFC3339, row[1])
		require.NoError(t, err)
		assert.True(t, e.Time.Equal(tm))
		assert.Equal(t, e.Time.UTC().Format(time.RFC3339Nano), row[1])
		for j := range row {
			row[j] = UnescapeCell(row[j])
		}
		ref, _ := strconv.ParseUint(row[16], 10, 64)
		want := Event{Seq: e.Seq, Time: tm, Kind: row[2], Door: row[3], PD: row[4], Identity: row[5], Name: row[6],
			Card: row[7], CardRef: row[8], Factor: row[9], Side: row[10], Alarm: row[11] == "true",
			Reason: row[12], Detail: row[13], Prev: row[14], Hash: row[15], Ref: ref, Account: row[17]}
		assert.Equal(t, strconv.FormatUint(e.Seq, 10), row[0])
		assert.Equal(t, chainHash(want), row[15], "row %d carries everything the hash covers", i)
		if e.Detail == tricky {
			assert.Equal(t, tricky, row[13])
		}
	}
}

func TestExportEmptyLogWritesTheCSVHeader(t *testing.T) {
	s := openTestStore(t, t.TempDir())
	var buf bytes.Buffer
	n, err := s.Export(context.Background(), Query{}, "csv", &buf)
	require.NoError(t, err)
	assert.Zero(t, n)
	assert.Equal(t, "seq,time,kind,door,pd,identity,name,card,card_ref,factor,side,alarm,reason,detail,prev,hash,ref,account\n", buf.String())
}

func TestExportUnknownFormat(t *testing.T) {
	s := openTestStore(t, t.TempDir())
	_, err := s.Export(context.Background(), Query{}, "xml", io.Discard)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"xml"`)
}

func TestExportStopsOnCancelAndWriteError(t *testing.T) {
	s := exportFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	n, err := s.Export(ctx, Query{}, "jsonl", io.Discard)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Zero(t, n)

	// A writer that cancels after the first page: Export stops at the page.
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	cw := &cancelWriter{cancel: cancel}
	n, err = s.Export(ctx, Query{}, "jsonl", cw)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, exportPage, n)
	assert.Equal(t, exportPage, bytes.Count(cw.buf.Bytes(), []byte("\n")))

	boom := errors.New("disk full")
	_, err = s.Export(context.Background(), Query{}, "csv", failWriter{boom})
	assert.ErrorIs(t, err, boom)
}

type cancelWriter struct {
	buf    bytes.Buffer
	cancel func()
}

func (w *cancelWriter) Write(p []byte) (int, error) {
	w.cancel()
	return w.buf.Write(p)
}

type failWriter struct{ err error }

func (w failWriter) Write([]byte) (int, error) { return 0, w.err }

// A cell a spreadsheet would run as a formula is written as text (a
// leading '), reversibly; every other cell is as stored.
func TestExportCSVGuardsAgainstFormulas(t *testing.T) {
	s := openTestStore(t, t.TempDir())
	names := []string{"=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(A1)", "\tx", "'=already", "'plain", "张三", "a=b"}
	for _, n := range names {
		_, err := s.Append(context.Background(), Event{Time: t0, Kind: "access.denied", Name: n, Ref: 7, Account: "@gus"})
		require.NoError(t, err)
	}
	var buf bytes.Buffer
	_, err := s.Export(context.Background(), Query{}, "csv", &buf)
	require.NoError(t, err)
	rows, err := csv.NewReader(&buf).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, len(names)+1)
	want := []string{"'=HYPERLINK(\"http://x\")", "'+1", "'-2", "'@SUM(A1)", "'\tx", "''=already", "''plain", "张三", "a=b"}
	for i, row := range rows[1:] {
		assert.Equal(t, want[i], row[6])
		assert.Equal(t, names[i], UnescapeCell(row[6]), "reversible")
		assert.Equal(t, "7", row[16])
		assert.Equal(t, "'@gus", row[17])
		for _, c := range row {
			assert.False(t, c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])), "no cell starts a formula: %q", c)
		}
	}
}
