package osdppd

// sequence follows the command sequence numbers (spec §5.9, CTRL bits 0-1).
// The CP sends 0 to (re)start the link, then 1, 2, 3, 1, 2, ... A command that
// repeats the previous non-zero number is a retry: the CP lost the reply, so
// the PD sends the same bytes again without running the command twice.
// Any other number is NAK 4.
type sequence struct {
	last  int    // last accepted number, -1 before the first command
	reply []byte // the reply sent to it
}

type seqVerdict int

const (
	seqNext   seqVerdict = iota // the expected number (or 0): run the command
	seqRepeat                   // the previous number again: resend the reply
	seqSkip                     // anything else: NAK 4
)

func newSequence() sequence { return sequence{last: -1} }

// check classifies seq. A 0 restarts the sequence.
func (s *sequence) check(seq byte) seqVerdict {
	switch {
	case seq == 0:
		s.last, s.reply = -1, nil
		return seqNext
	case int(seq) == s.last && s.reply != nil:
		return seqRepeat
	case seq == s.expect():
		return seqNext
	}
	return seqSkip
}

// expect is the number the next command should carry.
func (s *sequence) expect() byte {
	if s.last < 0 {
		return 0
	}
	return byte(s.last%3 + 1)
}

// commit records the reply sent to command number seq.
func (s *sequence) commit(seq byte, reply []byte) {
	s.last, s.reply = int(seq), reply
}
