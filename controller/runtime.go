package controller

import (
	"sync"
	"sync/atomic"

	"menwei/controller/config"
	"menwei/devices/faceterm"
	"menwei/devices/osdp"
)

// The run-time state of buses, terminals and serial ports. Every map here
// is filled in New and never changes afterwards, so reading it needs no
// lock; each value says who owns it:
//   - fields written by one goroutine and read by others are atomics;
//   - fields only a bus's event goroutine touches carry no lock at all;
//   - the one structure written by several goroutines (a bus's lock
//     requests) has its own small mutex.

// busRT is one bus at run time.
type busRT struct {
	name string
	pds  map[byte]*pdRT // by address

	// loop is the bus's OSDP loop while Run runs (nil before).
	loop atomic.Pointer[osdp.Loop]

	// reasm reassembles the bus's face captures. Owned by the bus event
	// goroutine.
	reasm faceterm.Reassembler

	// reqMu guards lockReq: a command to a lock is registered by whoever
	// drives the lock, under reqMu across Submit so that its answer (taken
	// out by the bus event goroutine, also under reqMu) cannot come first.
	// Holding reqMu across Submit cannot deadlock: the loop serves calls
	// even while it waits to hand out events.
	reqMu   sync.Mutex
	lockReq map[uint64]*lockWait // request id (per bus) → who waits for its answer

	// beat is marked by the bus event goroutine on every tick (Alive).
	beat beat
}

// pdRT is one configured PD at run time.
type pdRT struct {
	key  pdKey
	name string

	// Written by the bus event goroutine, read by anyone (status, health).
	online, secure atomic.Bool

	// Owned by the bus event goroutine: tamper, power, the input status
	// request, and the fire inputs as last reported.
	st   pdState
	fire map[int]bool
}

// portRT is a serial port's last known state, written by its reopener's
// callback and read by Health.
type portRT struct {
	state atomic.Pointer[portState]
}

func newRuntime(cfg config.Config) (map[string]*busRT, map[string]*portRT) {
	buses := map[string]*busRT{}
	ports := map[string]*portRT{}
	for _, b := range cfg.Buses {
		br := &busRT{name: b.Name, pds: map[byte]*pdRT{}, lockReq: map[uint64]*lockWait{}}
		for _, p := range b.PDs {
			a := byte(*p.Address)
			br.pds[a] = &pdRT{key: pdKey{b.Name, a}, name: p.Name, fire: map[int]bool{}}
		}
		buses[b.Name] = br
		ports["bus/"+b.Name] = &portRT{}
	}
	for _, cv := range cfg.Converters {
		ports["converter/"+cv.Name] = &portRT{}
	}
	return buses, ports
}

// pd returns a configured PD's run-time state, nil for one not configured.
func (c *Controller) pd(k pdKey) *pdRT {
	if b := c.buses[k.bus]; b != nil {
		return b.pds[k.addr]
	}
	return nil
}
