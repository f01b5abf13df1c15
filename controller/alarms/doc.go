// Package alarms keeps the open alarms: the alarm events of the event log
// that no acknowledgement has closed.
//
// It keeps no state of its own on disk. An alarm is an event of the log
// (IsAlarm), and a guard's acknowledgement is another event of the log
// (kind alarm.acknowledged, Ref = the alarm's seq, Account = who, Detail =
// the note): the log stays append-only and hash-chained, and the open
// alarms after a restart are what reading the log again gives. A Book is
// that reading, kept up to date by Follow from the log's live stream.
//
// An alarm whose condition ends by itself (the door closed again, the
// terminal back online, the tamper switch closed) stays open until a guard
// acknowledges it: the guard must still look. The Book notes the event
// that cleared it, so the page can say "cleared at 10:02".
//
// Retention applies to alarms as to every event: an alarm older than the
// log keeps is no longer listed once a restart reads the log again.
package alarms
