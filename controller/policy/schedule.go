package policy

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Clock is a time of day in minutes after midnight (0…1440).
type Clock int

// ParseClock reads "HH:MM" (24:00 allowed as the end of a day).
func ParseClock(s string) (Clock, error) {
	h, m, ok := strings.Cut(s, ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || hh < 0 || mm < 0 || mm > 59 || hh > 24 || (hh == 24 && mm != 0) || len(m) != 2 {
		return 0, fmt.Errorf("policy: time of day %q: want HH:MM", s)
	}
	return Clock(hh*60 + mm), nil
}

func (c Clock) String() string { return fmt.Sprintf("%02d:%02d", c/60, c%60) }

// Period is a daily window on some weekdays. End before Start crosses
// midnight: {Mon, 22:00, 06:00} covers Monday 22:00 to Tuesday 06:00.
type Period struct {
	Days  []time.Weekday
	Start Clock
	End   Clock
}

// Schedule says when a rule applies.
type Schedule struct {
	Periods []Period
	// Holidays are dates ("2026-10-01") on which the weekly periods do not
	// apply; HolidayPeriods apply instead (their Days are ignored).
	Holidays       map[string]bool
	HolidayPeriods []Period
	// Location is the controller's time zone; nil = UTC.
	Location *time.Location
}

// Allows reports whether t falls in the schedule.
func (s *Schedule) Allows(t time.Time) bool {
	if s == nil {
		return true
	}
	loc := s.Location
	if loc == nil {
		loc = time.UTC
	}
	t = t.In(loc)
	now := Clock(t.Hour()*60 + t.Minute())
	yesterday := t.AddDate(0, 0, -1)
	// Today's windows, and the part of yesterday's windows that runs past midnight.
	return s.open(t, now, false) || s.open(yesterday, now, true)
}

// open checks the periods that apply on day d; overnight selects the part
// after midnight of windows that cross it.
func (s *Schedule) open(d time.Time, now Clock, overnight bool) bool {
	periods, anyDay := s.Periods, false
	if s.Holidays[d.Format(time.DateOnly)] {
		periods, anyDay = s.HolidayPeriods, true
	}
	for _, p := range periods {
		if !anyDay && !hasDay(p.Days, d.Weekday()) {
			continue
		}
		crosses := p.End <= p.Start
		switch {
		case overnight:
			if crosses && now < p.End {
				return true
			}
		case crosses:
			if now >= p.Start {
				return true
			}
		default:
			if now >= p.Start && now < p.End {
				return true
			}
		}
	}
	return false
}

func hasDay(days []time.Weekday, d time.Weekday) bool {
	for _, x := range days {
		if x == d {
			return true
		}
	}
	return false
}
