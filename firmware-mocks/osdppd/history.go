package osdppd

import (
	"context"

	"menwei/devices/osdp"
)

// maxHistory bounds the command history, overall and per command code.
const maxHistory = 1000

// history keeps the commands the PD ran, in order, for tests to look at.
// Besides the overall list it keeps one log per command code with a read
// cursor for WaitCommand, so a flood of POLLs cannot push an OUT out of
// reach before a test asks for it.
type history struct {
	all     []osdp.Message
	byCode  map[byte]*codeLog
	changed chan struct{} // closed and replaced on every add
}

type codeLog struct {
	msgs  []osdp.Message
	first uint64 // number of msgs[0] among all commands with this code
	next  uint64 // the next number WaitCommand returns
}

func newHistory() history {
	return history{byCode: map[byte]*codeLog{}, changed: make(chan struct{})}
}

func (h *history) add(m osdp.Message) {
	if ks, ok := m.(osdp.KeySet); ok {
		m = osdp.KeySet{Type: ks.Type} // the key stays in the PD
	}
	h.all = append(h.all, m)
	if len(h.all) > maxHistory {
		h.all = h.all[len(h.all)-maxHistory:]
	}
	l := h.byCode[m.Code()]
	if l == nil {
		l = &codeLog{}
		h.byCode[m.Code()] = l
	}
	l.msgs = append(l.msgs, m)
	if drop := len(l.msgs) - maxHistory; drop > 0 {
		l.msgs = l.msgs[drop:]
		l.first += uint64(drop)
	}
	close(h.changed)
	h.changed = make(chan struct{})
}

// take returns the next unread command with the given code.
func (h *history) take(code byte) (osdp.Message, bool) {
	l := h.byCode[code]
	if l == nil {
		return nil, false
	}
	l.next = max(l.next, l.first)
	i := l.next - l.first
	if i >= uint64(len(l.msgs)) {
		return nil, false
	}
	l.next++
	return l.msgs[i], true
}

// Commands returns the commands the PD ran, oldest first: at most the last
// 1000, as parsed payloads (a KEYSET without its key). Retries answered from
// the reply cache, BUSY answers and commands refused before parsing (bad
// sequence, length, security) are not in it.
func (p *PD) Commands() []osdp.Message {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]osdp.Message(nil), p.hist.all...)
}

// WaitCommand returns the next command with the given code that WaitCommand
// has not returned yet: one received since the previous WaitCommand for that
// code (or since New, for the first call), else the next one to arrive. Each
// command is returned once, in order, so a test that waits for OUT twice
// sees both OUTs even if they came before it asked. Up to 1000 unread
// commands are kept per code. It fails only when ctx is done.
func (p *PD) WaitCommand(ctx context.Context, code byte) (osdp.Message, error) {
	for {
		p.mu.Lock()
		m, ok := p.hist.take(code)
		changed := p.hist.changed
		p.mu.Unlock()
		if ok {
			return m, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-changed:
		}
	}
}
