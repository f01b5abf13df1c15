package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"menwei/api"
	"menwei/biometric/face"
	"menwei/controller"
	"menwei/controller/policy"
	"menwei/controller/store"
)

var commands = []command{
	{"residents add", "-id ID -name NAME [-unit 3-201] [-group G]... [-card CARD]...", addIdentity(policy.Resident), true},
	{"staff add", "-id ID -name NAME [-group G]... [-card CARD]...", addIdentity(policy.Staff), true},
	{"visitors add", "-id ID -name NAME -host RESIDENT -until 2026-12-01T18:00:00+08:00 [-from T] [-door D]... [-uses N] [-card CARD]", addVisitor, false},
	{"identities list", "[-kind resident|visitor|staff] [-json]", listIdentities, false},
	{"identities remove", "-id ID   (with its credentials)", removeIdentity, false},
	{"identities disable", "-id ID [-enable]", disableIdentity, false},
	{"cards add", "-id ID -card CARD", cardAdd, false},
	{"cards remove", "-card CARD", cardRemove, false},
	{"cards blacklist", "-card CARD [-clear]   (a lost card: refused and flagged)", cardBlacklist, false},
	{"pin set", "-id ID -pin DIGITS [-duress]", pinSet, false},
	{"schedules set", "-id ID -period PERIOD... [-holiday-period 10:00-12:00]... [-name N]", scheduleSet, true},
	{"schedules list", "[-json]", scheduleList, false},
	{"holidays add", "-date 2026-10-01 [-name N]", holidayAdd, true},
	{"holidays remove", "-date 2026-10-01", holidayRemove, false},
	{"holidays list", "", holidayList, false},
	{"faces enroll", "-id ID -photo FILE [-face-id F] [-consent VERSION -by NAME]   (needs face.models in the config)", faceEnroll, false},
	{"consent give", "-id ID -biometric face|finger -text VERSION -by NAME   (the person agreed to the text of that version)", consentGive, false},
	{"consent withdraw", "-id ID -biometric face|finger -by NAME   (the biometric is deleted from the store; modules at the next start)", consentWithdraw, false},
	{"consent list", "-id ID", consentList, false},
	{"faces remove", "-id ID", faceRemove, false},
	{"cert", "-host NAME[,NAME|IP...] -out DIR   (a self-signed HTTPS certificate for the gate box)", makeCert, true},
	{"estate nkey", "-gate NAME -out DIR   (a gate's NKey: the seed file for the gate, the line for the office)", estateNKey, true},
	{"accounts add", "-name NAME -role admin|guard   (password read from standard input)", accountAdd, true},
	{"events", "[-limit N] [-after SEQ] [-kind K] [-door D] [-json]   (the newest N, newest last)", events, false},
	{"events export", "-format jsonl|csv [-out FILE] [-kind K] [-door D] [-since T] [-until T]", exportEvents, false},
	{"verify", "check the event log's hash chain", verify, false},
	{"store keygen", "-out FILE   (a new random store key, mode 0600)", storeKeygen, false},
	{"store encrypt", "[-keep-plaintext]   (encrypt a plaintext store in place, with the key file, made if missing; menweid stopped)", storeEncrypt, false},
	{"store rotate-key", "   (a new master key for the store: the old key file is replaced; menweid stopped)", storeRotateKey, false},
}

func addIdentity(kind policy.Kind) func(*flag.FlagSet, io.Writer) func(*store.Store) error {
	return func(fs *flag.FlagSet, out io.Writer) func(*store.Store) error {
		id := fs.String("id", "", "identity id")
		name := fs.String("name", "", "full name")
		unit := fs.String("unit", "", "building-unit, e.g. 3-201")
		var groups, cards multi
		fs.Var(&groups, "group", "group (repeatable)")
		fs.Var(&cards, "card", "card credential (repeatable)")
		return func(s *store.Store) error {
			i := store.Identity{ID: *id, Kind: kind, Name: *name, Unit: *unit, Groups: groups}
			return saveIdentity(s, out, i, cards)
		}
	}
}

// saveIdentity saves the identity with its cards, all or nothing: a card
// that is refused leaves neither the identity nor any card saved.
func saveIdentity(s *store.Store, out io.Writer, i store.Identity, cards []string) error {
	creds := make([]store.Credential, len(cards))
	for n, c := range cards {
		creds[n] = store.Credential{Kind: policy.Card, Key: c}
	}
	if err := s.PutIdentityWith(i, creds); err != nil {
		return fmt.Errorf("%s %s not saved: %w", i.Kind, i.ID, err)
	}
	fmt.Fprintf(out, "%s %s saved (%d card(s) added)\n", i.Kind, i.ID, len(cards))
	return nil
}

func addVisitor(fs *flag.FlagSet, out io.Writer) func(*store.Store) error {
	id := fs.String("id", "", "visitor id")
	name := fs.String("name", "", "full name")
	host := fs.String("host", "", "the resident visited")
	from := fs.String("from", "", "start (default now): "+timeForms)
	until := fs.String("until", "", "end: "+timeForms)
	uses := fs.Int("uses", 0, "number of entries (0 = unlimited within the window)")
	var doors, cards multi
	fs.Var(&doors, "door", "door the pass opens (repeatable; none = all)")
	fs.Var(&cards, "card", "card credential (repeatable)")
	return func(s *store.Store) error {
		p := &store.Pass{From: time.Now().UTC(), Doors: doors, MaxUses: *uses}
		var err error
		if *from != "" {
			if p.From, err = parseTime("-from", *from); err != nil {
				return err
			}
		}
		if *until == "" {
			return usageError{"visitors add: -until is required, e.g. -until " + timeExample}
		}
		if p.Until, err = parseTime("-until", *until); err != nil {
			return err
		}
		if _, err := s.Identity(*host); err != nil {
			return fmt.Errorf("-host %q: %w", *host, err)
		}
		return saveIdentity(s, out, store.Identity{ID: *id, Kind: policy.Visitor, Name: *name, Host: *host, Pass: p}, cards)
	}
}

const (
	timeExample = "2026-12-01T18:00:00+08:00"
	timeForms   = "RFC 3339 such as " + timeExample + ", or local time 2026-12-01 18:00, or a date 2026-12-01 (its midnight)"
)

// parseTime reads a time given on the command line: RFC 3339, or a local
// date and time, or a local date (its midnight). A wrong one is answered
// with the forms, not Go's layout string.
func parseTime(flagName, v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, v, time.Local); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, usageError{fmt.Sprintf("%s %q: not a time; give %s", flagName, v, timeForms)}
}

func listIdentities(fs *flag.FlagSet, out io.Writer) func(*store.Store) error {
	kind := fs.String("kind", "", "resident, visitor or staff")
	asJSON := fs.Bool("json", false, "JSON output")
	return func(s *store.Store) error {
		ids, err := s.Identities(policy.Kind(*kind))
		if err != nil {
			return err
		}
		creds, err := s.Credentials("")
		if err != nil {
			return err
		}
		count := map[string]int{}
		for _, c := range creds {
			count[c.Identity]++
		}
		if *asJSON {
			for i := range ids { // never print hashes
				ids[i].PIN, ids[i].Duress = nil, nil
			}
			return json.NewEncoder(out).Encode(ids)
		}
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tKIND\tNAME\tUNIT\tGROUPS\tCREDENTIALS\tPIN\tSTATE")
		for _, i := range ids {
			state := "active"
			if i.Disabled {
				state = "disabled"
			}
			if i.Pass != nil {
				state = fmt.Sprintf("pass until %s, %d use(s)", i.Pass.Until.Local().Format("01-02 15:04"), i.Pass.Uses)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%v\t%s\n", i.ID, i.Kind, i.Name, i.Unit, strings.Join(i.Groups, ","), count[i.ID], i.PIN != nil, state)
		}
		return tw.Flush()
	}
}

func idFlag(fs *flag.FlagSet) *string { return fs.String("id", "", "identity id") }

func removeIdentity(fs *flag.FlagSet, out io.Writer) func(*store.Store) error {
	id := idFlag(fs)
	return func(s *store.Store) error {
		if err := s.DeleteIdentity(*id); err != nil {
			return fmt.Errorf("identity %q: %w", *id, err)
		}
		fmt.Fprintf(out, "%s removed\n", *id)
		return nil
	}
}

func disableIdentity(fs *flag.FlagSet, out io.Writer) func(*store.Store) error {
	id := idFlag(fs)
	enable := fs.Bool("enable", false, "enable again")
	return func(s *store.Store) error {
		i, err := s.Identity(*id)
		if err != nil {
			return fmt.Errorf("identity %q: %w", *id, err)
		}
		i.Disabled = !*enable
		if err := s.PutIdentity(i); err != nil {
			return err
		}
		fmt.Fprintf(out, "%s disabled=%v\n", *id, i.Disabled)
		return nil
	}
}

func cardAdd(fs *flag.FlagSet, out io.Writer) func(*store.Store) error {
	id := idFlag(fs)
	card := fs.String("card", "", "card credential")
	return func(s *store.Store) error {
		if err := s.AddCredential(store.Credential{Kind: policy.Card, Key: *card, Identity: *id}); err != nil {
			return err
		}
		fmt.Fprintf(out, "card added to %s\n", *id)
		return nil
	}
}

func cardRemove(fs *flag.FlagSet, out io.Writer) func(*store.Store) error {
	card := fs.String("card", "", "card credential")
	return func(s *store.Store) error {
		if err := s.RemoveCredential(policy.Card, *card); err != nil {
			return fmt.Errorf("card: %w", err)
		}
		fmt.Fprintln(out, "card removed")
		return nil
	}
}

func cardBlacklist(fs *flag.FlagSet, out io.Writer) func(*store.Store) error {
	card := fs.String("card", "", "card credential")
	clear := fs.Bool("clear", false, "take it off the blacklist")
	return func(s *store.Store) error {
		if err := s.SetBlacklisted(policy.Card, *card, !*clear); err != nil {
			return fmt.Errorf("card: %w", err)
		}
		fmt.Fprintf(out, "card blacklisted=%v\n", !*clear)
		return nil
	}
}

func pinSet(fs *flag.FlagSet, out io.Writer) func(*store.Store) error {
	id := idFlag(fs)
	pin := fs.String("pin", "", "4-12 digits")
	duress := fs.Bool("duress", false, "set the duress PIN (opens and raises a silent alarm)")
	return func(s *store.Store) error {
		if err := s.SetPIN(*id, *pin, *duress); err != nil {
			return err
		}
		fmt.Fprintf(out, "PIN set for %s\n", *id)
		return nil
	}
}

func scheduleSet(fs *flag.FlagSet, out io.Writer) func(*store.Store) error {
	id := fs.String("id", "", "schedule id")
	name := fs.String("name", "", "description")
	var periods, hol multi
	fs.Var(&periods, "period", "weekly period (repeatable)")
	fs.Var(&hol, "holiday-period", "period that applies on holidays (repeatable; none = closed)")
	return func(s *store.Store) error {
		if err := s.PutSchedule(store.Schedule{ID: *id, Name: *name, Periods: periods, Holiday: hol}); err != nil {
			return err
		}
		fmt.Fprintf(out, "schedule %s saved\n", *id)
		return nil
	}
}

func scheduleList(fs *flag.FlagSet, out io.Writer) func(*store.Store) error {
	asJSON := fs.Bool("json", false, "JSON output")
	return func(s *store.Store) error {
		scs, err := s.Schedules()
		if err != nil {
			return err
		}
		if *asJSON {
			return json.NewEncoder(out).Encode(scs)
		}
		for _, sc := range scs {
			fmt.Fprintf(out, "%s\t%s\tholidays: %s\n", sc.ID, strings.Join(sc.Periods, "; "), strings.Join(sc.Holiday, "; "))
		}
		return nil
	}
}

func holidayAdd(fs *flag.FlagSet, out io.Writer) func(*store.Store) error {
	date := fs.String("date", "", "YYYY-MM-DD")
	name := fs.String("name", "", "name")
	return func(s *store.Store) error {
		if err := s.PutHoliday(*date, *name); err != nil {
			return err
		}
		fmt.Fprintf(out, "holiday %s saved\n", *date)
		return nil
	}
}

func holidayRemove(fs *flag.FlagSet, out io.Writer) func(*store.Store) error {
	date := fs.String("date", "", "YYYY-MM-DD")
	return func(s *store.Store) error {
		if err := s.DeleteHoliday(*date); err != nil {
			return err
		}
		fmt.Fprintf(out, "holiday %s removed\n", *date)
		return nil
	}
}

func holidayList(fs *flag.FlagSet, out io.Writer) func(*store.Store) error {
	return func(s *store.Store) error {
		h, err := s.Holidays()
		if err != nil {
			return err
		}
		dates := make([]string, 0, len(h))
		for d := range h {
			dates = append(dates, d)
		}
		sort.Strings(dates)
		for _, d := range dates {
			fmt.Fprintf(out, "%s\t%s\n", d, h[d])
		}
		return nil
	}
}

func events(fs *flag.FlagSet, out io.Writer) func(*store.Store) error {
	after := fs.Uint64("after", 0, "the events after this sequence number (default: the newest)")
	limit := fs.Int("limit", 50, "how many (the newest, shown newest last)")
	kind := fs.String("kind", "", "only this kind")
	door := fs.String("door", "", "only this door")
	asJSON := fs.Bool("json", false, "JSON output")
	return func(s *store.Store) error {
		if *limit < 1 {
			return usageError{"events: -limit must be 1 or more"}
		}
		// The newest -limit events (or those after -after), oldest first,
		// page by page: one query gives at most 1000.
		q := controller.EventQuery{After: *after, Kind: *kind, Door: *door, Newest: *after == 0}
		var evs []controller.Event
		for len(evs) < *limit {
			q.Limit = *limit - len(evs)
			page, err := s.Events(q)
			if err != nil {
				return err
			}
			if len(page) == 0 {
				break
			}
			evs = append(evs, page...)
			if q.Newest {
				q.Before = page[len(page)-1].Seq
			} else {
				q.After = page[len(page)-1].Seq
			}
		}
		if q.Newest {
			slices.Reverse(evs)
		}
		if *asJSON {
			return json.NewEncoder(out).Encode(evs)
		}
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SEQ\tTIME\tKIND\tDOOR\tPD\tWHO\tREASON\tDETAIL")
		for _, e := range evs {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Seq, e.Time.Local().Format("01-02 15:04:05"), e.Kind, e.Door, e.PD, e.Name, e.Reason, e.Detail)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		_, err := fmt.Fprintln(out, eventsSummary(len(evs), *limit, *after))
		return err
	}
}

func verify(fs *flag.FlagSet, out io.Writer) func(*store.Store) error {
	return func(s *store.Store) error {
		n, err := s.VerifyChain()
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "event log intact: %d events, chain verified\n", n)
		return nil
	}
}

func exportEvents(fs *flag.FlagSet, out io.Writer) func(*store.Store) error {
	format := fs.String("format", "jsonl", "jsonl or csv")
	file := fs.String("out", "", "write to FILE (default: standard output)")
	kind := fs.String("kind", "", "only this kind")
	door := fs.String("door", "", "only this door")
	since := fs.String("since", "", "from this time: "+timeForms)
	until := fs.String("until", "", "before this time: "+timeForms)
	return func(s *store.Store) error {
		q := controller.EventQuery{Kind: *kind, Door: *door}
		for _, t := range []struct {
			name, v string
			dst     *time.Time
		}{{"-since", *since, &q.Since}, {"-until", *until, &q.Until}} {
			if t.v == "" {
				continue
			}
			var err error
			if *t.dst, err = parseTime(t.name, t.v); err != nil {
				return err
			}
		}
		w := out
		if *file != "" {
			f, err := os.OpenFile(*file, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
			if err != nil {
				return err
			}
			defer f.Close()
			w = f
		}
		n, err := s.Export(context.Background(), q, *format, w)
		if err != nil {
			return err
		}
		if *file != "" {
			fmt.Fprintf(out, "%d events written to %s\n", n, *file)
		}
		return nil
	}
}

func faceEnroll(fs *flag.FlagSet, out io.Writer) func(*store.Store) error {
	id := idFlag(fs)
	photo := fs.String("photo", "", "JPEG or PNG with exactly one face")
	faceID := fs.String("face-id", "", "name of this face (default: photo-<time>)")
	consent := fs.String("consent", "", "the version of the consent text the person agreed to (e.g. face-v1), recorded now")
	by := fs.String("by", "", "with -consent: who took the consent (an account or a name)")
	return func(s *store.Store) error {
		if modelsDir == "" {
			return errors.New("faces enroll: face.models is not set in the configuration (give -config)")
		}
		if *consent != "" {
			if err := recordConsent(s, out, *id, policy.Face, *consent, *by); err != nil {
				return err
			}
		}
		img, err := os.ReadFile(*photo)
		if err != nil {
			return err
		}
		e, err := face.Open(face.Config{ModelDir: modelsDir})
		if err != nil {
			return err
		}
		defer e.Close()
		f, err := e.One(context.Background(), img)
		if err != nil {
			return fmt.Errorf("%s: %w", *photo, err)
		}
		name := *faceID
		if name == "" {
			name = "photo-" + time.Now().UTC().Format("20060102T150405")
		}
		if err := s.PutFace(store.FaceRecord{Identity: *id, ID: name, Vector: f.Descriptor}); err != nil {
			return err
		}
		fmt.Fprintf(out, "face %s enrolled for %s (quality %.2f)\n", name, *id, f.Quality)
		return nil
	}
}

func faceRemove(fs *flag.FlagSet, out io.Writer) func(*store.Store) error {
	id := idFlag(fs)
	return func(s *store.Store) error {
		n, err := s.DeleteFaces(*id)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%d face(s) removed from %s\n", n, *id)
		return nil
	}
}

func accountAdd(fs *flag.FlagSet, out io.Writer) func(*store.Store) error {
	name := fs.String("name", "", "account name")
	role := fs.String("role", store.RoleGuard, "admin, guard or office (the property office: residents, cards, phones; no doors)")
	return func(s *store.Store) error {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && line == "" {
			return errors.New("accounts add: give the password on standard input")
		}
		if err := s.PutAccount(*name, *role, strings.TrimRight(line, "\r\n")); err != nil {
			return err
		}
		fmt.Fprintf(out, "account %s (%s) saved\n", *name, *role)
		return nil
	}
}

// recordConsent records a person's consent to a biometric, taken by who.
func recordConsent(s *store.Store, out io.Writer, id string, b policy.Factor, text, who string) error {
	if !slices.Contains(api.ConsentTexts[b], text) {
		return usageError{fmt.Sprintf("consent: %q is not a version of the %s consent text (%s)", text, b, strings.Join(api.ConsentTexts[b], ", "))}
	}
	if who == "" {
		return usageError{"consent: -by NAME: who took the consent is required"}
	}
	if err := s.GiveConsent(store.Consent{Identity: id, Biometric: b, Text: text, Account: "menweictl:" + who}); err != nil {
		return err
	}
	_, err := s.Append(context.Background(), controller.Event{Kind: controller.KindConsentGiven, Identity: id,
		Detail: fmt.Sprintf("%s consent, text %s, taken by %s with menweictl", b, text, who)})
	if err == nil {
		fmt.Fprintf(out, "consent of %s to %s (text %s) recorded\n", id, b, text)
	}
	return err
}

func consentGive(fs *flag.FlagSet, out io.Writer) func(*store.Store) error {
	id := idFlag(fs)
	b := fs.String("biometric", "", "face or finger")
	text := fs.String("text", "", "the version of the consent text the person agreed to, e.g. face-v1")
	by := fs.String("by", "", "who took the consent")
	return func(s *store.Store) error {
		return recordConsent(s, out, *id, policy.Factor(*b), *text, *by)
	}
}

func consentWithdraw(fs *flag.FlagSet, out io.Writer) func(*store.Store) error {
	id := idFlag(fs)
	b := fs.String("biometric", "", "face or finger")
	by := fs.String("by", "", "who recorded the withdrawal")
	return func(s *store.Store) error {
		if *by == "" {
			return usageError{"consent withdraw: -by NAME is required"}
		}
		_, n, err := s.WithdrawConsent(*id, policy.Factor(*b), "menweictl:"+*by, time.Now())
		if err != nil {
			return err
		}
		if _, err := s.Append(context.Background(), controller.Event{Kind: controller.KindConsentWithdrawn, Identity: *id,
			Detail: fmt.Sprintf("%s consent withdrawn, recorded by %s with menweictl; biometric deleted", *b, *by)}); err != nil {
			return err
		}
		fmt.Fprintf(out, "consent of %s to %s withdrawn; %d record(s) deleted", *id, *b, n)
		if policy.Factor(*b) == policy.Finger {
			fmt.Fprint(out, " (the fingerprint modules drop the templates when menweid next reconciles them)")
		}
		fmt.Fprintln(out)
		return nil
	}
}

func consentList(fs *flag.FlagSet, out io.Writer) func(*store.Store) error {
	id := idFlag(fs)
	return func(s *store.Store) error {
		cs, err := s.Consents(*id)
		if err != nil {
			return err
		}
		for _, c := range cs {
			state := "in force"
			if !c.InForce() {
				state = "withdrawn " + c.Withdrawn.Format(time.RFC3339) + " by " + c.WithdrawnBy
			}
			fmt.Fprintf(out, "%s\t%s\tgiven %s by %s\t%s\n", c.Biometric, c.Text, c.Given.Format(time.RFC3339), c.Account, state)
		}
		return nil
	}
}
