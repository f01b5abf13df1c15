package store

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"

	"menwei/controller/policy"
)

// Schedule is a named set of weekly periods, stored in Badger. Holidays are
// shared by every schedule.
type Schedule struct {
	ID      string   `json:"id"`
	Name    string   `json:"name,omitempty"`
	Periods []string `json:"periods"`                   // "mon-fri 08:00-18:00", "sat,sun 09:00-12:00", "fri 22:00-06:00"
	Holiday []string `json:"holiday_periods,omitempty"` // "09:00-11:00": what applies on holidays; none = closed
}

const (
	keySchedule = "sch/" // sch/<id> → Schedule
	keyHoliday  = "hol/" // hol/<yyyy-mm-dd> → name
)

var dayNames = map[string]time.Weekday{"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday, "thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday}

// parsePeriod reads "mon-fri 08:00-18:00" (days optional for holiday periods).
func parsePeriod(s string, needDays bool) (policy.Period, error) {
	var p policy.Period
	fields := strings.Fields(s)
	times := fields[len(fields)-1:]
	if len(fields) == 0 {
		return p, fmt.Errorf("period %q: empty", s)
	}
	if len(fields) == 2 {
		for _, part := range strings.Split(fields[0], ",") {
			from, to, isRange := strings.Cut(part, "-")
			a, ok1 := dayNames[from]
			b, ok2 := dayNames[to]
			if !isRange {
				b, ok2 = a, ok1
			}
			if !ok1 || !ok2 {
				return p, fmt.Errorf("period %q: days like mon-fri or sat,sun", s)
			}
			for d := a; ; d = (d + 1) % 7 {
				p.Days = append(p.Days, d)
				if d == b {
					break
				}
			}
		}
	} else if len(fields) != 1 || needDays {
		return p, fmt.Errorf("period %q: want \"mon-fri 08:00-18:00\"", s)
	}
	start, end, ok := strings.Cut(times[0], "-")
	var err error
	if !ok {
		return p, fmt.Errorf("period %q: times like 08:00-18:00", s)
	}
	if p.Start, err = policy.ParseClock(start); err != nil {
		return p, err
	}
	if p.End, err = policy.ParseClock(end); err != nil {
		return p, err
	}
	return p, nil
}

func (s Schedule) compile(holidays map[string]bool, loc *time.Location) (*policy.Schedule, error) {
	out := &policy.Schedule{Holidays: holidays, Location: loc}
	for _, p := range s.Periods {
		pp, err := parsePeriod(p, true)
		if err != nil {
			return nil, err
		}
		out.Periods = append(out.Periods, pp)
	}
	for _, p := range s.Holiday {
		pp, err := parsePeriod(p, false)
		if err != nil {
			return nil, err
		}
		out.HolidayPeriods = append(out.HolidayPeriods, pp)
	}
	return out, nil
}

// PutSchedule stores a schedule after checking its periods.
func (s *Store) PutSchedule(sc Schedule) error {
	if !idRE.MatchString(sc.ID) {
		return fmt.Errorf("%w: schedule id %q", ErrBadRequest, sc.ID)
	}
	if len(sc.Periods) == 0 {
		return fmt.Errorf("%w: schedule %s: at least one period", ErrBadRequest, sc.ID)
	}
	if _, err := sc.compile(nil, time.UTC); err != nil {
		return fmt.Errorf("%w: schedule %s: %w", ErrBadRequest, sc.ID, err)
	}
	return s.write(func(w *writer) error { return w.apply(Change{Kind: SchedulePut, ID: sc.ID, Schedule: &sc}) })
}

// Schedules lists the stored schedules.
func (s *Store) Schedules() ([]Schedule, error) {
	var out []Schedule
	err := s.db.View(func(txn *badger.Txn) error {
		return iterJSON(txn, keySchedule, func(sc *Schedule) { out = append(out, *sc) })
	})
	return out, err
}

// PutHoliday marks a date ("2026-10-01") as a holiday.
func (s *Store) PutHoliday(date, name string) error {
	if _, err := time.Parse(time.DateOnly, date); err != nil {
		return fmt.Errorf("%w: holiday %q: want YYYY-MM-DD", ErrBadRequest, date)
	}
	return s.write(func(w *writer) error { return w.apply(Change{Kind: HolidayPut, ID: date, Value: name}) })
}

// DeleteHoliday removes a holiday.
func (s *Store) DeleteHoliday(date string) error {
	return s.write(func(w *writer) error { return w.apply(Change{Kind: HolidayDeleted, ID: date}) })
}

// Holidays returns the holiday dates with their names.
func (s *Store) Holidays() (map[string]string, error) {
	out := map[string]string{}
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(keyHoliday), PrefetchValues: true})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			var name string
			if err := it.Item().Value(func(b []byte) error { return jsonUnmarshal(b, &name) }); err != nil {
				return err
			}
			out[strings.TrimPrefix(string(it.Item().Key()), keyHoliday)] = name
		}
		return nil
	})
	return out, err
}

// CompiledSchedules loads every schedule with the holidays, ready for policy.
func (s *Store) CompiledSchedules(loc *time.Location) (map[string]*policy.Schedule, error) {
	hol, err := s.Holidays()
	if err != nil {
		return nil, err
	}
	days := map[string]bool{}
	for d := range hol {
		days[d] = true
	}
	scs, err := s.Schedules()
	if err != nil {
		return nil, err
	}
	out := map[string]*policy.Schedule{}
	for _, sc := range scs {
		c, err := sc.compile(days, loc)
		if err != nil {
			return nil, err
		}
		out[sc.ID] = c
	}
	return out, nil
}

// Door modes are stored so an emergency survives a restart.
const keyDoorMode = "mode/" // mode/<door> → mode name

// DoorMode returns a door's stored mode ("" = normal).
func (s *Store) DoorMode(doorName string) (string, error) {
	var m string
	err := s.db.View(func(txn *badger.Txn) error { return getJSON(txn, keyDoorMode+doorName, &m) })
	if errors.Is(err, ErrNotFound) {
		return "", nil
	}
	return m, err
}

// SetDoorMode stores a door's mode.
func (s *Store) SetDoorMode(doorName, mode string) error {
	return s.SetDoorModes(map[string]string{doorName: mode})
}

// SetDoorModes stores several doors' modes in one transaction.
func (s *Store) SetDoorModes(modes map[string]string) error {
	return s.write(func(w *writer) error {
		for d, m := range modes {
			if err := w.apply(Change{Kind: DoorModeSet, ID: d, Value: m}); err != nil {
				return err
			}
		}
		return nil
	})
}
