package osdp

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
	"errors"
	"fmt"
)

// Secure channel primitives (spec Annex D). Everything here is pure: the
// caller supplies random numbers and keeps the Session between frames.

// KeySize is the length of an SCBK and of each session key.
const KeySize = 16

// SCBKD is the well-known default key a PD in install mode accepts (Annex D.8).
var SCBKD = [KeySize]byte{0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f}

// Key selectors carried in the SCB of the handshake messages.
const (
	KeySelSCBKD = 0x00
	KeySelSCBK  = 0x01
)

// Secure channel failures. Each has a distinct reason so the CP can log why a
// PD was refused.
var (
	ErrSCCryptogram = errors.New("osdp: sc: client cryptogram does not match our key")
	ErrSCServer     = errors.New("osdp: sc: server cryptogram rejected")
	ErrSCRMACI      = errors.New("osdp: sc: initial reply mac does not match")
	ErrSCMAC        = errors.New("osdp: sc: bad mac")
	ErrSCPadding    = errors.New("osdp: sc: bad padding")
	ErrSCType       = errors.New("osdp: sc: unexpected security block type")
	ErrSCPlaintext  = errors.New("osdp: sc: plaintext frame on a secure channel")
)

// SessionKeys are the three keys derived for one session.
type SessionKeys struct{ Enc, MAC1, MAC2 [KeySize]byte }

func ecb(key *[KeySize]byte, in [KeySize]byte) (out [KeySize]byte) {
	c, _ := aes.NewCipher(key[:]) // a 16-byte key cannot fail
	c.Encrypt(out[:], in[:])
	return out
}

// DeriveKeys derives S-ENC, S-MAC1 and S-MAC2 from the base key and RND.A.
func DeriveKeys(scbk [KeySize]byte, rndA [8]byte) SessionKeys {
	derive := func(a, b byte) [KeySize]byte {
		in := [KeySize]byte{a, b}
		copy(in[2:8], rndA[:6])
		return ecb(&scbk, in)
	}
	return SessionKeys{Enc: derive(0x01, 0x82), MAC1: derive(0x01, 0x01), MAC2: derive(0x01, 0x02)}
}

func cryptogram(k *[KeySize]byte, first, second [8]byte) [KeySize]byte {
	var in [KeySize]byte
	copy(in[:8], first[:])
	copy(in[8:], second[:])
	return ecb(k, in)
}

// ClientCryptogram is the PD's proof of the key: E(S-ENC, RND.A || RND.B).
func (k *SessionKeys) ClientCryptogram(rndA, rndB [8]byte) [KeySize]byte {
	return cryptogram(&k.Enc, rndA, rndB)
}

// ServerCryptogram is the CP's proof of the key: E(S-ENC, RND.B || RND.A).
func (k *SessionKeys) ServerCryptogram(rndA, rndB [8]byte) [KeySize]byte {
	return cryptogram(&k.Enc, rndB, rndA)
}

// RMACI is the initial reply MAC: E(S-MAC2, E(S-MAC1, server cryptogram)).
func (k *SessionKeys) RMACI(server [KeySize]byte) [KeySize]byte {
	return ecb(&k.MAC2, ecb(&k.MAC1, server))
}

// Equal compares two secrets in constant time.
func Equal(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }

// Session is an established secure channel: the session keys and the two MAC
// chains. The CP and the PD each keep one; they advance in lock step.
type Session struct {
	// StatusSCS15Quirk accepts LSTATR/ISTATR/OSTATR/RSTATR replies that carry
	// the command type SCS_15 (plaintext data, valid MAC). No libosdp release
	// sends them (v1.0.0–v3.2.0 use SCS_18); a build of libosdp's master
	// labelled 3.2.0 did, in the capture under testdata. Off by default; see
	// docs/osdp-interop.md.
	StatusSCS15Quirk bool

	keys SessionKeys
	cmac [KeySize]byte // MAC of the last command
	rmac [KeySize]byte // MAC of the last reply (RMAC-I at the start)
}

// NewSession starts the MAC chain at RMAC-I.
func NewSession(keys SessionKeys, rmacI [KeySize]byte) *Session {
	return &Session{keys: keys, rmac: rmacI}
}

// mac computes the CBC-MAC of msg: S-MAC1 over all blocks but the last,
// S-MAC2 over the last; padded with 80 00.. only when not block aligned.
func (s *Session) mac(msg []byte, iv [KeySize]byte) [KeySize]byte {
	n := (len(msg) + KeySize - 1) / KeySize * KeySize
	if n == 0 {
		n = KeySize
	}
	buf := make([]byte, n)
	copy(buf, msg)
	if len(msg)%KeySize != 0 || len(msg) == 0 {
		buf[len(msg)] = 0x80
	}
	chain := iv
	if n > KeySize {
		c, _ := aes.NewCipher(s.keys.MAC1[:])
		cipher.NewCBCEncrypter(c, chain[:]).CryptBlocks(buf[:n-KeySize], buf[:n-KeySize])
		copy(chain[:], buf[n-2*KeySize:n-KeySize])
	}
	var last [KeySize]byte
	for i := range last {
		last[i] = buf[n-KeySize+i] ^ chain[i]
	}
	return ecb(&s.keys.MAC2, last)
}

func invert(b [KeySize]byte) (o [KeySize]byte) {
	for i := range b {
		o[i] = ^b[i]
	}
	return o
}

// encrypt pads plain with 80 00.. (always) and encrypts it with S-ENC.
func (s *Session) encrypt(plain []byte, iv [KeySize]byte) []byte {
	n := (len(plain)/KeySize + 1) * KeySize
	out := make([]byte, n)
	copy(out, plain)
	out[len(plain)] = 0x80
	c, _ := aes.NewCipher(s.keys.Enc[:])
	cipher.NewCBCEncrypter(c, iv[:]).CryptBlocks(out, out)
	return out
}

func (s *Session) decrypt(ct []byte, iv [KeySize]byte) ([]byte, error) {
	if len(ct) == 0 || len(ct)%KeySize != 0 {
		return nil, fmt.Errorf("%w: ciphertext length %d", ErrSCPadding, len(ct))
	}
	out := make([]byte, len(ct))
	c, _ := aes.NewCipher(s.keys.Enc[:])
	cipher.NewCBCDecrypter(c, iv[:]).CryptBlocks(out, ct)
	i := len(out) - 1
	for i >= 0 && out[i] == 0 {
		i--
	}
	if i < 0 || out[i] != 0x80 || len(out)-i > KeySize {
		return nil, ErrSCPadding
	}
	return out[:i], nil
}

// seal encrypts f.Data (when present), sets the SCB and MAC, and advances
// the chain of this direction (*mine) from the other direction's last MAC.
func (s *Session) seal(f *Frame, macOnly, encrypted byte, mine *[KeySize]byte, other [KeySize]byte) {
	if len(f.Data) == 0 {
		f.SCB = []byte{macOnly}
		f.Data = nil
	} else {
		f.SCB = []byte{encrypted}
		f.Data = s.encrypt(f.Data, invert(other))
	}
	f.MAC = make([]byte, macLen)
	*mine = s.mac(f.AppendMACInput(nil), other)
	copy(f.MAC, mine[:macLen])
}

// open checks the MAC (chained on iv, the receiver's last MAC) and decrypts
// f.Data in place. On success the chain of the sender's direction advances.
func (s *Session) open(f *Frame, macOnly, encrypted byte, theirs *[KeySize]byte, iv [KeySize]byte, plainOK bool) error {
	t := f.SCBType()
	switch {
	case t == 0:
		return ErrSCPlaintext
	case t != macOnly && t != encrypted:
		return fmt.Errorf("%w: %#02x", ErrSCType, t)
	case t == macOnly && len(f.Data) != 0 && !plainOK && !IsPlainNAK(f):
		// Spec-legal but leaks the payload (a card number) in clear; refused.
		return fmt.Errorf("%w: %#02x carries %d bytes of unencrypted data", ErrSCType, t, len(f.Data))
	}
	m := s.mac(f.AppendMACInput(nil), iv)
	if !Equal(m[:macLen], f.MAC) {
		return ErrSCMAC
	}
	if t == encrypted {
		plain, err := s.decrypt(f.Data, invert(iv))
		if err != nil {
			return err
		}
		f.Data = plain
	}
	f.SCB, f.MAC = nil, nil
	*theirs = m
	return nil
}

// SealCommand prepares a command frame for sending (CP side).
func (s *Session) SealCommand(f *Frame) { s.seal(f, SCS15, SCS17, &s.cmac, s.rmac) }

// IsPlainNAK reports a reply sealed the way libosdp 3.2.x PDs seal a NAK of a
// command they cannot serve: SCS_16 (MAC only) around the one-byte NAK code,
// not encrypted. The spec wants SCS_18 for a reply with data, but the code
// says only which of nine standard refusals it is (Table 49) and carries
// nothing secret, and the MAC still proves the PD sent it in this session
// and in this place of the chain. So OpenReply accepts exactly this form —
// a NAK, exactly one byte, under a verified MAC — and refuses every other
// SCS_16 reply with data (a card number in clear, say).
func IsPlainNAK(f *Frame) bool {
	return f.Reply && f.SCBType() == SCS16 && f.Code == ReplyNAK && len(f.Data) == 1
}

// OpenReply verifies and decrypts a reply (CP side).
func (s *Session) OpenReply(f *Frame) error {
	if s.StatusSCS15Quirk && f.SCBType() == SCS15 && isStatusReply(f.Code) {
		return s.open(f, SCS15, SCS18, &s.rmac, s.cmac, true)
	}
	return s.open(f, SCS16, SCS18, &s.rmac, s.cmac, false)
}

func isStatusReply(code byte) bool {
	return code == ReplyLSTATR || code == ReplyISTATR || code == ReplyOSTATR || code == ReplyRSTATR
}

// OpenCommand verifies and decrypts a command (PD side).
func (s *Session) OpenCommand(f *Frame) error {
	return s.open(f, SCS15, SCS17, &s.cmac, s.rmac, false)
}

// SealReply prepares a reply frame for sending (PD side).
func (s *Session) SealReply(f *Frame) { s.seal(f, SCS16, SCS18, &s.rmac, s.cmac) }

// Handshake message layouts.

// CCrypt is the PD's answer to CHLNG: its client UID, RND.B and cryptogram.
type CCrypt struct {
	CUID       [8]byte
	RndB       [8]byte
	Cryptogram [KeySize]byte
}

// AppendData encodes the CCRYPT payload.
func (c CCrypt) AppendData(d []byte) []byte {
	return append(append(append(d, c.CUID[:]...), c.RndB[:]...), c.Cryptogram[:]...)
}

// ParseCCrypt decodes a CCRYPT payload.
func ParseCCrypt(b []byte) (CCrypt, error) {
	var c CCrypt
	if err := exact("CCRYPT", b, 32); err != nil {
		return c, err
	}
	copy(c.CUID[:], b)
	copy(c.RndB[:], b[8:])
	copy(c.Cryptogram[:], b[16:])
	return c, nil
}
