package eventlog_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/dgraph-io/badger/v4"

	"menwei/controller/eventlog"
)

func openExample() (*eventlog.Log, func()) {
	db, err := badger.Open(badger.DefaultOptions("").WithInMemory(true).WithLogger(nil))
	if err != nil {
		panic(err)
	}
	l, err := eventlog.Open(db, nil)
	if err != nil {
		panic(err)
	}
	return l, func() { l.Close(); db.Close() }
}

func ExampleLog_Export() {
	l, done := openExample()
	defer done()
	at := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
	ctx := context.Background()
	l.Append(ctx, eventlog.Event{Time: at, Kind: "access.granted", Door: "gate", Name: "Ana Lima"})
	l.Append(ctx, eventlog.Event{Time: at.Add(time.Minute), Kind: "access.denied", Door: "gate",
		Reason: "outside schedule", Detail: `said "delivery, urgent"`})

	n, err := l.Export(ctx, eventlog.Query{Kind: "access.denied"}, "csv", os.Stdout)
	fmt.Println(n, err)
	// Output:
	// seq,time,kind,door,pd,identity,name,card,card_ref,factor,side,alarm,reason,detail,prev,hash,ref,account
	// 2,2025-03-01T08:01:00Z,access.denied,gate,,,,,,,,false,outside schedule,"said ""delivery, urgent""",7c2f969bd3b6b9fefe76ed80f58cb498031d2b40418dfddd651904392c149eff,2972777b579179002eb6e928efbb50162ae9e238caddbb96644273f611315b06,,
	// 1 <nil>
}

func ExampleLog_Prune() {
	l, done := openExample()
	defer done()
	ctx := context.Background()
	for range 10 {
		l.Append(ctx, eventlog.Event{Kind: "door.opened", Door: "gate"})
	}

	removed, err := l.Prune(ctx, eventlog.Retention{MaxCount: 3}, time.Now())
	fmt.Println("removed", removed, err)
	first, last := l.Stats()
	fmt.Println("kept", first, "to", last)
	n, err := l.VerifyChain()
	fmt.Println("verified", n, err)
	// Output:
	// removed 7 <nil>
	// kept 8 to 10
	// verified 3 <nil>
}
