package estate

import (
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"

	"menwei/controller/eventlog"
)

// Names on the wire (docs/estate.md).
const (
	// OfficeDomain is the office's JetStream domain; a gate's is GateDomain.
	OfficeDomain = "office"
	// StreamEvents is the office's stream of every gate's events.
	StreamEvents  = "MENWEI_EVENTS"
	eventSubjects = "menwei.ev.*"
	eventPrefix   = "menwei.ev."
)

// Role is what a menweid is in its estate.
type Role string

// The roles.
const (
	RoleGate   Role = "gate"
	RoleOffice Role = "office"
)

// EventSubject is the subject gate publishes its events on.
func EventSubject(gate string) string { return eventPrefix + gate }

// GateDomain is gate's JetStream domain.
func GateDomain(gate string) string { return "gate-" + gate }

// MsgID is the Nats-Msg-Id of gate's event seq: "<gate>:<seq>".
func MsgID(gate string, seq uint64) string { return gate + ":" + strconv.FormatUint(seq, 10) }

// InboxPrefix is the prefix of gate's reply subjects: the office lets a
// gate receive only replies under its own.
func InboxPrefix(gate string) string { return "_INBOX." + gate }

// GatePublishes is what a gate's user may publish at the office: its own
// events, and the two JetStream API calls its directory's ordered consumer
// makes (docs/estate.md, Security). Creating a consumer is allowed only
// with the gate's own filter in the subject (the 2.10+ form
// CONSUMER.CREATE.<stream>.<name>.<filter>; the server checks that the
// filter in the request is the one in the subject), and the form without
// a filter is not allowed at all, so a gate can make no consumer that
// reads another gate's slice. Pulling the next messages names a consumer
// by its name, a random one the gate made (its replies come to the gate's
// own inbox). Nothing else of the office's JetStream API: no stream or
// consumer info, no listing, no deleting, no direct get.
func GatePublishes(gate string) []string {
	api := "$JS." + OfficeDomain + ".API.CONSUMER."
	return []string{
		EventSubject(gate),
		api + "CREATE." + StreamDirectory + ".*." + DirectoryFilter(gate),
		api + "MSG.NEXT." + StreamDirectory + ".*",
	}
}

// GateKey is a gate the office accepts: its name and its NKey's public key.
type GateKey struct {
	Name string
	NKey string // a user public key ("U…")
}

// ServerOptions configures the embedded nats-server. Zero values are the
// defaults named.
type ServerOptions struct {
	Role Role
	// StoreDir holds JetStream's files (required).
	StoreDir string
	// TLS: the office's leafnode listener's config (with its certificate;
	// required), or the gate's config for dialling the office (RootCAs to
	// verify it; required).
	TLS *tls.Config

	// Role office.
	Listen string    // the leafnode listener, host:port ("" = 0.0.0.0:7422; port 0 = any)
	Gates  []GateKey // the gates accepted, each with its own permissions

	// Role gate.
	Gate      string // this gate's name (eventlog.ValidGate)
	OfficeURL string // the office's leafnode listener, tls://host:port
	Seed      []byte // this gate's NKey seed (never logged)
	// ReconnectInterval is how long the leaf waits between attempts to
	// reach the office (0 = 1 s).
	ReconnectInterval time.Duration

	// Key encrypts JetStream's files at rest (store.EstateStreamKey; nil =
	// plaintext). The office's stream holds the gates' events, names
	// included, until they are applied.
	Key []byte

	// MaxStore bounds JetStream's disk (0 = 1 GiB); MaxMemory its memory
	// (0 = 32 MiB).
	MaxStore, MaxMemory int64
	Log                 *slog.Logger
}

func (o *ServerOptions) validate() error {
	if o.StoreDir == "" {
		return errors.New("estate: the server needs a store dir")
	}
	if o.TLS == nil {
		return errors.New("estate: the server needs TLS (every link is encrypted)")
	}
	switch o.Role {
	case RoleOffice:
		if len(o.TLS.Certificates) == 0 && o.TLS.GetCertificate == nil {
			return errors.New("estate: the office's leafnode listener needs a certificate")
		}
		seen := map[string]bool{}
		for i, g := range o.Gates {
			if !eventlog.ValidGate(g.Name) {
				return fmt.Errorf("estate: gates[%d]: bad name %q (1-32 of a-z, 0-9, -)", i, g.Name)
			}
			if seen[g.Name] {
				return fmt.Errorf("estate: gates[%d]: %s given twice", i, g.Name)
			}
			if g.Name == "office" { // the office's own events, in the office's API
				return fmt.Errorf("estate: gates[%d]: office is the office's own name, not a gate's", i)
			}
			seen[g.Name] = true
			if !nkeys.IsValidPublicUserKey(g.NKey) {
				return fmt.Errorf("estate: gates[%d] (%s): nkey is not a user public key", i, g.Name)
			}
		}
	case RoleGate:
		if !eventlog.ValidGate(o.Gate) {
			return fmt.Errorf("estate: bad gate name %q (1-32 of a-z, 0-9, -)", o.Gate)
		}
		if o.OfficeURL == "" {
			return fmt.Errorf("estate: gate %s: no office url", o.Gate)
		}
		if _, err := nkeys.FromSeed(o.Seed); err != nil {
			return fmt.Errorf("estate: gate %s: the nkey seed is not valid", o.Gate)
		}
	default:
		return fmt.Errorf("estate: role %q is neither gate nor office", o.Role)
	}
	return nil
}

// Server is menweid's embedded nats-server and its in-process connection.
type Server struct {
	ns    *server.Server
	sopts *server.Options
	nc    *nats.Conn
	opts  ServerOptions
}

// StartServer starts the embedded server and connects to it in process.
// The server listens on no client port: only the office's leafnode
// listener is on the network.
func StartServer(o ServerOptions) (*Server, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	opts := &server.Options{
		DontListen:         true,
		NoSigs:             true,
		JetStream:          true,
		StoreDir:           o.StoreDir,
		JetStreamMaxStore:  cmpOr(o.MaxStore, 1<<30),
		JetStreamMaxMemory: cmpOr(o.MaxMemory, 32<<20),
		// A gate whose link is down for hours tries every second; one line
		// every 600 failed attempts is enough (the uploader says the rest).
		ConnectErrorReports:    600,
		ReconnectErrorReports:  600,
		DisableJetStreamBanner: true,
	}
	if o.Key != nil {
		opts.JetStreamKey = hex.EncodeToString(o.Key) // ChaCha20-Poly1305, the server's default cipher
	}
	local := nats.Options{Name: "menweid", MaxReconnect: -1}
	switch o.Role {
	case RoleOffice:
		opts.ServerName, opts.JetStreamDomain = "menwei-office", OfficeDomain
		host, port, err := splitListen(o.Listen)
		if err != nil {
			return nil, err
		}
		// NoAdvertise: a gate dials the office's address in its own
		// configuration only, never one the office tells it (its listener's
		// own address may not be what a gate can reach, and a gate must not
		// be steered around the configured path).
		opts.LeafNode = server.LeafNodeOpts{Host: host, Port: port, TLSConfig: o.TLS, TLSTimeout: 5, NoAdvertise: true}
		for _, g := range o.Gates {
			opts.Nkeys = append(opts.Nkeys, &server.NkeyUser{
				Nkey: g.NKey,
				Permissions: &server.Permissions{
					// Its events, its directory consumer (GatePublishes), and
					// the replies to its own commands (command.go: under the
					// office's inbox prefix for this gate's replies).
					Publish: &server.SubjectPermission{Allow: append(GatePublishes(g.Name), ReplyPrefix(g.Name)+".>")},
					// Its acks and deliveries, and its own commands.
					Subscribe: &server.SubjectPermission{Allow: []string{InboxPrefix(g.Name) + ".>", CommandSubject(g.Name)}},
				},
				AllowedConnectionTypes: map[string]struct{}{jwt.ConnectionTypeLeafnode: {}},
			})
		}
		// The office's own in-process client: a key made now, kept in memory.
		kp, err := nkeys.CreateUser()
		if err != nil {
			return nil, fmt.Errorf("estate: make the office's own key: %w", err)
		}
		pub, _ := kp.PublicKey()
		opts.Nkeys = append(opts.Nkeys, &server.NkeyUser{Nkey: pub,
			AllowedConnectionTypes: map[string]struct{}{jwt.ConnectionTypeInProcess: {}}})
		local.Nkey, local.SignatureCB = pub, kp.Sign
	case RoleGate:
		opts.ServerName, opts.JetStreamDomain = "menwei-gate-"+o.Gate, GateDomain(o.Gate)
		u, err := url.Parse(o.OfficeURL)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("estate: gate %s: office url %q is not a url (tls://host:port)", o.Gate, o.OfficeURL)
		}
		opts.LeafNode = server.LeafNodeOpts{
			ReconnectInterval: cmpOr(o.ReconnectInterval, time.Second),
			Remotes: []*server.RemoteLeafOpts{{
				URLs: []*url.URL{u}, Nkey: string(o.Seed), TLS: true, TLSConfig: o.TLS, TLSTimeout: 5,
			}},
		}
		local.Name = "menweid " + o.Gate
		local.InboxPrefix = InboxPrefix(o.Gate)
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("estate: nats server: %w", err)
	}
	ns.SetLoggerV2(natsLog{o.Log.With("part", "nats")}, false, false, false)
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		ns.WaitForShutdown()
		return nil, errors.New("estate: nats server did not start in 10 s")
	}
	local.InProcessServer = ns
	nc, err := local.Connect()
	if err != nil {
		ns.Shutdown()
		ns.WaitForShutdown()
		return nil, fmt.Errorf("estate: connect to the embedded server: %w", err)
	}
	return &Server{ns: ns, sopts: opts, nc: nc, opts: o}, nil
}

func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

func splitListen(s string) (string, int, error) {
	if s == "" {
		return "0.0.0.0", 7422, nil
	}
	host, p, err := net.SplitHostPort(s)
	if err != nil {
		return "", 0, fmt.Errorf("estate: listen %q: %w", s, err)
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("estate: listen %q: bad port", s)
	}
	if port == 0 {
		port = server.RANDOM_PORT
	}
	return host, port, nil
}

// Conn is the in-process connection to the embedded server.
func (s *Server) Conn() *nats.Conn { return s.nc }

// LeafAddr is the office's leafnode listener (host:port), "" for a gate.
func (s *Server) LeafAddr() string {
	if s.opts.Role != RoleOffice {
		return ""
	}
	// The server writes the port it chose back into its options once it
	// listens (before ReadyForConnections returns).
	return net.JoinHostPort(s.sopts.LeafNode.Host, strconv.Itoa(s.sopts.LeafNode.Port))
}

// Leaves is the number of leaf connections: gates connected to an office,
// 1 for a gate connected to its office.
func (s *Server) Leaves() int { return s.ns.NumLeafNodes() }

// LeafLink names the gate's current leaf connection to the office: its
// connection id, a new one after every reconnect (0 = not connected).
func (s *Server) LeafLink() uint64 {
	lz, err := s.ns.Leafz(nil)
	if err != nil || len(lz.Leafs) == 0 {
		return 0
	}
	return lz.Leafs[0].ID
}

// Close closes the connection and shuts the server down, waiting for it.
// It is safe to call twice.
func (s *Server) Close() {
	s.nc.Close()
	s.ns.Shutdown()
	s.ns.WaitForShutdown()
}

// natsLog is nats-server's logger on slog. The server is run without debug
// and trace, which are the levels that could show protocol lines.
type natsLog struct{ l *slog.Logger }

func (n natsLog) Noticef(f string, a ...any) { n.l.Debug(fmt.Sprintf(f, a...)) }
func (n natsLog) Warnf(f string, a ...any)   { n.l.Warn(fmt.Sprintf(f, a...)) }
func (n natsLog) Fatalf(f string, a ...any)  { n.l.Error(fmt.Sprintf(f, a...)) }
func (n natsLog) Errorf(f string, a ...any)  { n.l.Error(fmt.Sprintf(f, a...)) }
func (n natsLog) Debugf(f string, a ...any)  { n.l.Debug(fmt.Sprintf(f, a...)) }
func (n natsLog) Tracef(f string, a ...any)  {}
