package controller

import (
	"context"

	"menwei/controller/alarms"
)

// KindAlarmAcknowledged records a guard's acknowledgement of an alarm
// (package alarms): Ref is the alarm's seq, Account who, Detail the note.
const KindAlarmAcknowledged = alarms.Acknowledged

// Alarm is one open alarm (package alarms).
type Alarm = alarms.Alarm

// Alarms returns the open alarms, oldest first, and whether the list is
// complete (false until Run has read the event log up to its head).
func (c *Controller) Alarms() ([]Alarm, bool) { return c.alarms.Open() }

// AckAlarm records that account acknowledged alarm seq with note; the
// alarm is no longer open. See alarms.Book.Ack for the errors.
func (c *Controller) AckAlarm(ctx context.Context, seq uint64, account, note string) (Event, error) {
	return c.alarms.Ack(ctx, c.store, seq, account, note, c.now())
}
