package estate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
)

// Door commands, office → gate (docs/estate.md, "Office mode"): a request
// on menwei.cmd.<gate> from the office's in-process client, answered by
// the gate's own API layer with the status, code and body its local API
// would answer. The office never makes up an answer: no reply is
// ErrUnreachable, and the door is as the gate last said.
//
// Permissions (server.go): a gate's user may subscribe to its own command
// subject only (so the office forwards it its commands and nobody else's),
// and may publish only under its own reply prefix, _INBOX.office.<gate>
// (ReplyPrefix), where the office waits for that gate's answers; it cannot
// publish on any menwei.cmd subject, so it cannot command another gate nor
// answer for one. (nats-server's allow_responses would be narrower, but a
// leaf's own server learns only the publish and subscribe lists from the
// office, not the response permission, and drops the reply before it
// leaves the gate: tried with v2.15.2.)
const (
	commandPrefix = "menwei.cmd."
	// CommandVersion is the version of Command and Reply; a gate answers a
	// command of another version with status 400, code "bad_version".
	CommandVersion = 1
	// DefaultCommandTimeout is how long the office waits for a reply.
	DefaultCommandTimeout = 3 * time.Second
	// answerWithin is the gate's deadline for a command: shorter than the
	// office's wait, so that a lock slower than it is answered in time as
	// unconfirmed (202) rather than not at all.
	answerWithin = DefaultCommandTimeout - 500*time.Millisecond
)

// The commands.
const (
	CmdDoors = "doors" // the gate's doors and terminals
	CmdMode  = "mode"  // set a door mode (or emergency) on Doors (empty = every door)
	CmdOpen  = "open"  // a momentary unlock of Door
	CmdAck   = "ack"   // acknowledge alarm Seq with Note
)

// ReplyPrefix is the prefix of the office's inboxes for gate's replies.
func ReplyPrefix(gate string) string { return "_INBOX.office." + gate }

// CommandSubject is the subject the office sends gate's commands on.
func CommandSubject(gate string) string { return commandPrefix + gate }

// Command is a door command from the office (JSON on the wire).
type Command struct {
	V       int      `json:"v"`
	Cmd     string   `json:"cmd"`
	Door    string   `json:"door,omitempty"`  // open
	Doors   []string `json:"doors,omitempty"` // mode: empty = every door
	Mode    string   `json:"mode,omitempty"`  // mode: normal, emergency_unlock or lockdown
	Reason  string   `json:"reason,omitempty"`
	Seq     uint64   `json:"seq,omitempty"`  // ack: the gate's alarm
	Note    string   `json:"note,omitempty"` // ack
	Account string   `json:"account"`        // the office account that asked (recorded by the gate)
}

// Reply is a gate's answer: what its own API answers to the same request.
type Reply struct {
	V       int    `json:"v"`
	Status  int    `json:"status"`            // the HTTP status of the gate's API
	Code    string `json:"code,omitempty"`    // the API's error code (status ≥ 400)
	Message string `json:"message,omitempty"` // the API's error message
	// Body is the gate's API reply body (status < 400): for doors and
	// mode {"doors": [...], "pds": [...]}, for open the OpenReply.
	Body json.RawMessage `json:"body,omitempty"`
}

// Errors of Gates.Command.
var (
	// ErrUnreachable: the gate is not connected; the command was not sent.
	ErrUnreachable = errors.New("estate: gate unreachable")
	// ErrNoAnswer: the command was sent, and no answer came within the
	// timeout: it may or may not have been carried out.
	ErrNoAnswer = errors.New("estate: the gate did not answer")
	// ErrUnknownGate: not a gate of this office's configuration.
	ErrUnknownGate = errors.New("estate: no such gate")
)

// CommandHandler answers one command at a gate.
type CommandHandler func(ctx context.Context, c Command) Reply

// Commands is a gate's answering of the office's commands.
type Commands struct {
	sub  *nats.Subscription
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// ServeCommands answers the commands for gate on nc (the gate's in-process
// connection) with h, one at a time, each with a deadline within the
// office's wait, on a goroutine Close stops.
func ServeCommands(nc *nats.Conn, gate string, h CommandHandler, log *slog.Logger) (*Commands, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("part", "estate-commands")
	msgs := make(chan *nats.Msg, 16)
	sub, err := nc.ChanSubscribe(CommandSubject(gate), msgs)
	if err != nil {
		return nil, fmt.Errorf("estate: subscribe to commands: %w", err)
	}
	c := &Commands{sub: sub, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(c.done)
		for {
			select {
			case m := <-msgs:
				answer(m, h, log)
			case <-c.stop:
				return
			}
		}
	}()
	return c, nil
}

// answer runs one command and replies to it.
func answer(m *nats.Msg, h CommandHandler, log *slog.Logger) {
	var c Command
	var r Reply
	switch err := json.Unmarshal(m.Data, &c); {
	case err != nil:
		r = Reply{Status: 400, Code: "bad_request", Message: "not a command: " + err.Error()}
	case c.V != CommandVersion:
		r = Reply{Status: 400, Code: "bad_version", Message: fmt.Sprintf("command version %d; this gate speaks %d", c.V, CommandVersion)}
	default:
		ctx, cancel := context.WithTimeout(context.Background(), answerWithin)
		r = h(ctx, c)
		cancel()
		if c.Cmd != CmdDoors {
			log.Info("office command", "cmd", c.Cmd, "account", c.Account, "status", r.Status, "code", r.Code)
		}
	}
	r.V = CommandVersion
	b, err := json.Marshal(r)
	if err == nil {
		err = m.Respond(b)
	}
	if err != nil {
		log.Warn("cannot answer the office's command", "cmd", c.Cmd, "err", err)
	}
}

// Close stops answering and waits for a command being answered. It is
// safe to call twice.
func (c *Commands) Close() {
	c.once.Do(func() {
		_ = c.sub.Unsubscribe()
		close(c.stop)
	})
	<-c.done
}

// GateLink is what the office knows of one gate's link and doors.
type GateLink struct {
	Name string `json:"name"`
	// Up: the gate answered the office's last command or poll. (Not the
	// leaf connection alone: only the gate's own key can answer under its
	// reply prefix, while any gate's key can make a wildcard subscription
	// look like interest.)
	Up bool `json:"up"`
	// LastSeen is when the gate last answered (zero: not since the
	// office started).
	LastSeen time.Time `json:"last_seen,omitzero"`
	// Doors is the body of its last doors reply, DoorsAt when it came.
	Doors   json.RawMessage `json:"-"`
	DoorsAt time.Time       `json:"doors_at,omitzero"`
}

// GatesOptions configures Gates. Zero values are the defaults named.
type GatesOptions struct {
	Server *Server  // the office's (required)
	Names  []string // the configured gates
	// Timeout is how long a command waits for its reply (0 = 3 s).
	Timeout time.Duration
	// Poll is how often Run asks every gate for its doors (0 = 10 s).
	Poll time.Duration
	Now  func() time.Time // nil = time.Now
	Log  *slog.Logger
}

// Gates is the office's side of the command channel: it sends commands to
// its gates and keeps what it last heard of each.
type Gates struct {
	o     GatesOptions
	mu    sync.Mutex
	links map[string]*GateLink
}

// NewGates checks o and makes the office's Gates.
func NewGates(o GatesOptions) (*Gates, error) {
	if o.Server == nil || o.Server.opts.Role != RoleOffice {
		return nil, errors.New("estate: gates: needs the office's server")
	}
	o.Timeout = cmpOr(o.Timeout, DefaultCommandTimeout)
	o.Poll = cmpOr(o.Poll, 10*time.Second)
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	o.Log = o.Log.With("part", "estate-gates")
	g := &Gates{o: o, links: map[string]*GateLink{}}
	for _, n := range o.Names {
		g.links[n] = &GateLink{Name: n}
	}
	return g, nil
}

// Command sends c to gate and returns its reply: ErrUnknownGate for a
// gate not configured, ErrUnreachable when no reply came in time.
func (g *Gates) Command(ctx context.Context, gate string, c Command) (Reply, error) {
	g.mu.Lock()
	_, ok := g.links[gate]
	g.mu.Unlock()
	if !ok {
		return Reply{}, fmt.Errorf("%w: %q", ErrUnknownGate, gate)
	}
	c.V = CommandVersion
	b, err := json.Marshal(c)
	if err != nil {
		return Reply{}, err
	}
	if !g.o.Server.ns.GlobalAccount().SubscriptionInterest(CommandSubject(gate)) {
		g.down(gate)
		return Reply{}, fmt.Errorf("%w: %s: not connected", ErrUnreachable, gate)
	}
	ctx, cancel := context.WithTimeout(ctx, g.o.Timeout)
	defer cancel()
	nc := g.o.Server.nc
	reply := ReplyPrefix(gate) + "." + nats.NewInbox()[len(nats.InboxPrefix):]
	sub, err := nc.SubscribeSync(reply)
	if err != nil {
		return Reply{}, fmt.Errorf("estate: gate %s: %w", gate, err)
	}
	defer sub.Unsubscribe()
	if err := nc.PublishRequest(CommandSubject(gate), reply, b); err != nil {
		return Reply{}, fmt.Errorf("estate: gate %s: %w", gate, err)
	}
	m, err := sub.NextMsgWithContext(ctx)
	if err != nil {
		// No answer in time: the command may not have reached the gate,
		// or its answer was lost on the way. No responders: the link went
		// down after the check above, and nothing was delivered.
		g.down(gate)
		if errors.Is(err, nats.ErrNoResponders) {
			return Reply{}, fmt.Errorf("%w: %s: %v", ErrUnreachable, gate, err)
		}
		return Reply{}, fmt.Errorf("%w: %s: %v", ErrNoAnswer, gate, err)
	}
	var r Reply
	if err := json.Unmarshal(m.Data, &r); err != nil {
		return Reply{}, fmt.Errorf("estate: gate %s: a reply that is not one: %w", gate, err)
	}
	if r.V != CommandVersion {
		return Reply{}, fmt.Errorf("estate: gate %s: reply version %d, want %d", gate, r.V, CommandVersion)
	}
	g.mu.Lock()
	l := g.links[gate]
	l.Up, l.LastSeen = true, g.o.Now()
	if r.Status < 400 && (c.Cmd == CmdDoors || c.Cmd == CmdMode) {
		l.Doors, l.DoorsAt = r.Body, l.LastSeen
	}
	g.mu.Unlock()
	return r, nil
}

// down marks gate as not answering.
func (g *Gates) down(gate string) {
	g.mu.Lock()
	g.links[gate].Up = false
	g.mu.Unlock()
}

// Links is what the office knows of every configured gate, in name order.
func (g *Gates) Links() []GateLink {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]GateLink, 0, len(g.links))
	for _, l := range g.links {
		out = append(out, *l)
	}
	slices.SortFunc(out, func(a, b GateLink) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Run asks every gate for its doors every Poll, until ctx ends: its
// answer (or none) is what Links says of its link.
func (g *Gates) Run(ctx context.Context) error {
	t := time.NewTicker(g.o.Poll)
	defer t.Stop()
	for {
		var wg sync.WaitGroup
		for _, l := range g.Links() {
			wg.Go(func() {
				if _, err := g.Command(ctx, l.Name, Command{Cmd: CmdDoors, Account: "office"}); err != nil && ctx.Err() == nil {
					g.o.Log.Debug("a gate did not answer for its doors", "gate", l.Name, "err", err)
				}
			})
		}
		wg.Wait()
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
