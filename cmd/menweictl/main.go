// Command menweictl administers a menwei gate controller.
//
//	menweictl [-config menwei.yaml | -store DIR] residents add -id r1 -name "Li Wei" -unit 3-201 -card 1:1234
//	menweictl residents list [-json]
//	menweictl residents remove -id r1
//	menweictl events [-after N] [-limit N] [-json]
//	menweictl verify
//
// It opens the Badger store directly, so menweid must not be running while
// it does (the store says so if it is); the HTTP API takes over these tasks.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"menwei/controller"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "menweictl:", err)
		var ue usageError
		if errors.As(err, &ue) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

const usage = `usage: menweictl [-config FILE | -store DIR] COMMAND
commands:
  residents add -id ID -name NAME [-unit UNIT] [-card CARD]... [-door DOOR]...
  residents list [-json]
  residents remove -id ID
  events [-after N] [-limit N] [-json]
  verify                 check the event log's hash chain
cards: FACILITY:NUMBER (26-bit H10301), h10301:F:N or raw:BITS:HEX`

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

func run(args []string, out io.Writer) error {
	top := flag.NewFlagSet("menweictl", flag.ContinueOnError)
	top.SetOutput(io.Discard)
	configPath := top.String("config", "menwei.yaml", "configuration file, to find the store")
	storeDir := top.String("store", "", "store directory (instead of -config)")
	if err := top.Parse(args); err != nil {
		return usageError{err.Error() + "\n" + usage}
	}
	rest := top.Args()
	if len(rest) == 0 {
		return usageError{usage}
	}
	dir := *storeDir
	if dir == "" {
		raw, err := os.ReadFile(*configPath)
		if err != nil {
			return fmt.Errorf("%w (or give -store DIR)", err)
		}
		abs, _ := filepath.Abs(*configPath)
		cfg, err := controller.ParseConfig(raw, filepath.Dir(abs))
		if err != nil {
			return err
		}
		dir = cfg.Store.Dir
	}
	openStore := func() (*controller.Store, error) { return controller.OpenStore(controller.StoreOptions{Dir: dir}) }

	cmd := rest[0]
	if cmd == "residents" && len(rest) > 1 {
		cmd += " " + rest[1]
		rest = rest[1:]
	}
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	asJSON := fs.Bool("json", false, "JSON output")
	switch cmd {
	case "residents add":
		id := fs.String("id", "", "resident id")
		name := fs.String("name", "", "full name")
		unit := fs.String("unit", "", "building-unit, e.g. 3-201")
		var cards, doors multi
		fs.Var(&cards, "card", "card credential (repeatable)")
		fs.Var(&doors, "door", "door the resident may use (repeatable; none = all)")
		if err := fs.Parse(rest[1:]); err != nil {
			return usageError{err.Error() + "\n" + usage}
		}
		s, err := openStore()
		if err != nil {
			return err
		}
		defer s.Close()
		r := controller.Resident{ID: *id, Name: *name, Unit: *unit, Cards: cards, Doors: doors, Created: time.Now().UTC()}
		if err := s.PutResident(r); err != nil {
			return err
		}
		fmt.Fprintf(out, "resident %s saved (%d card(s))\n", r.ID, len(r.Cards))
		return nil
	case "residents list":
		if err := fs.Parse(rest[1:]); err != nil {
			return usageError{err.Error() + "\n" + usage}
		}
		s, err := openStore()
		if err != nil {
			return err
		}
		defer s.Close()
		rs, err := s.Residents()
		if err != nil {
			return err
		}
		if *asJSON {
			return json.NewEncoder(out).Encode(rs)
		}
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tUNIT\tCARDS\tDOORS")
		for _, r := range rs {
			doors := "all"
			if len(r.Doors) > 0 {
				doors = strings.Join(r.Doors, ",")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", r.ID, r.Name, r.Unit, len(r.Cards), doors)
		}
		return tw.Flush()
	case "residents remove":
		id := fs.String("id", "", "resident id")
		if err := fs.Parse(rest[1:]); err != nil {
			return usageError{err.Error() + "\n" + usage}
		}
		s, err := openStore()
		if err != nil {
			return err
		}
		defer s.Close()
		if err := s.DeleteResident(*id); err != nil {
			return fmt.Errorf("resident %q: %w", *id, err)
		}
		fmt.Fprintf(out, "resident %s removed\n", *id)
		return nil
	case "events":
		after := fs.Uint64("after", 0, "only events after this sequence number")
		limit := fs.Int("limit", 50, "how many")
		if err := fs.Parse(rest[1:]); err != nil {
			return usageError{err.Error() + "\n" + usage}
		}
		s, err := openStore()
		if err != nil {
			return err
		}
		defer s.Close()
		evs, err := s.Events(controller.EventQuery{After: *after, Limit: *limit})
		if err != nil {
			return err
		}
		if *asJSON {
			return json.NewEncoder(out).Encode(evs)
		}
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SEQ\tTIME\tKIND\tDOOR\tPD\tWHO\tREASON\tDETAIL")
		for _, e := range evs {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Seq, e.Time.Local().Format("01-02 15:04:05"), e.Kind, e.Door, e.PD, e.Name, e.Reason, e.Detail)
		}
		return tw.Flush()
	case "verify":
		s, err := openStore()
		if err != nil {
			return err
		}
		defer s.Close()
		n, err := s.VerifyChain()
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "event log intact: %d events, chain verified\n", n)
		return nil
	}
	return usageError{fmt.Sprintf("unknown command %q\n%s", strings.Join(rest, " "), usage)}
}
