package controller

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"filippo.io/age"

	"menwei/biometric/faceindex"
)

// Face index snapshots (issue 15): instead of rebuilding the face index
// from every stored descriptor at each start, the controller keeps the
// index in a file beside the store and reads it back when the store's
// faces are still those it was made from (the store's face token, see
// store/facetoken.go); otherwise it rebuilds from the store, as before,
// and writes a new file in the background.
//
// The file: one plaintext line "menwei-faceindex-snapshot 1 <token>", then
// the index (faceindex.WriteSnapshot) encrypted with age to the store's
// snapshot key. The token says nothing about the faces (it is random);
// everything else is encrypted and authenticated, so a file changed on
// disk is refused, not read.
//
// Privacy: the file holds every descriptor. When a face is removed (an
// identity deleted or erased, its faces deleted, consent withdrawn), the
// file is deleted at once, in the same write path, and written again a
// little later without the face; a file being written when a face is
// removed is thrown away.

const snapHeader = "menwei-faceindex-snapshot 1 "

// snapshotQuiet is how long face changes must pause before the snapshot is
// written again (an import of many faces writes it once).
const snapshotQuiet = 30 * time.Second

// faceTokens is what the snapshots need from the store (a *store.Store).
type faceTokens interface {
	WithFaceToken(f func(token string) error) error
	FaceSnapshotKey() (*age.X25519Identity, error)
}

// errStaleSnapshot: the file was made from other faces than the store's.
var errStaleSnapshot = errors.New("the store's faces changed since it was written")

type faceSnapshots struct {
	path  string
	store faceTokens
	index *faceindex.Index
	log   *slog.Logger
	due   chan struct{} // a write is wanted (capacity 1)
	soon  atomic.Bool   // ...at once, not after the faces are quiet

	mu      sync.Mutex // guards the fields below and the file's name
	forgets int        // faces removed so far: a write frozen before one is thrown away
	written string     // the token of the file on disk ("" = none or unknown)
}

func newFaceSnapshots(path string, st faceTokens, x *faceindex.Index, log *slog.Logger) *faceSnapshots {
	return &faceSnapshots{path: path, store: st, index: x, log: log, due: make(chan struct{}, 1)}
}

// read loads the index from the file if it is the index of the store's
// faces. The store's write path is held meanwhile, so no face change can
// come between the check and the index taking the file's content.
func (s *faceSnapshots) read() error {
	f, err := os.Open(s.path)
	if err != nil {
		return err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<16)
	line, err := br.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, snapHeader) {
		return fmt.Errorf("%s: not a face index snapshot", s.path)
	}
	token := strings.TrimSpace(strings.TrimPrefix(line, snapHeader))
	key, err := s.store.FaceSnapshotKey()
	if err != nil {
		return err
	}
	err = s.store.WithFaceToken(func(current string) error {
		if token != current {
			return errStaleSnapshot
		}
		r, err := age.Decrypt(br, key)
		if err != nil {
			return fmt.Errorf("decrypt: %w", err)
		}
		ra := newReadAhead(r)
		defer ra.Close()
		return s.index.ReadSnapshot(ra)
	})
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.written = token
	s.mu.Unlock()
	return nil
}

// changed says the faces changed: the file is written again once they
// have been quiet for a while.
func (s *faceSnapshots) changed() {
	select {
	case s.due <- struct{}{}:
	default:
	}
}

// rebuilt says the index was just rebuilt from the store: the file is
// written at once (in the background), so that the next start reads it.
func (s *faceSnapshots) rebuilt() {
	s.soon.Store(true)
	s.changed()
}

// forget deletes the file now: a face was removed, and no file may keep it.
// It runs on the store's write path (the change feed), so it is quick.
func (s *faceSnapshots) forget() {
	s.mu.Lock()
	s.forgets++
	s.written = ""
	err := os.Remove(s.path)
	s.mu.Unlock()
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		s.log.Error("face index snapshot: a face was removed but the file could not be deleted", "path", s.path, "err", err)
	}
	s.changed()
}

// run writes the file when it is due: at once after a rebuild, else after
// snapshotQuiet without face changes; and once more when ctx ends if the
// faces changed since.
func (s *faceSnapshots) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			s.writeLogged()
			return
		case <-s.due:
		}
		if s.soon.Swap(false) {
			s.writeLogged()
			continue
		}
		quiet := time.NewTimer(snapshotQuiet)
	wait:
		for {
			select {
			case <-ctx.Done():
				quiet.Stop()
				s.writeLogged()
				return
			case <-s.due:
				quiet.Reset(snapshotQuiet)
			case <-quiet.C:
				break wait
			}
		}
		s.writeLogged()
	}
}

func (s *faceSnapshots) writeLogged() {
	start := time.Now()
	n, err := s.write()
	switch {
	case err != nil:
		s.log.Error("face index snapshot not written (the next start rebuilds the index from the store)", "path", s.path, "err", err)
	case n >= 0:
		s.log.Info("face index snapshot written", "descriptors", n, "took", time.Since(start).Round(time.Millisecond))
	}
}

// write writes the file if the store's faces are not those of the file on
// disk, and returns how many descriptors it holds (-1: nothing to write).
// The index is frozen on the store's write path (in constant time) and
// written outside it.
func (s *faceSnapshots) write() (int, error) {
	var (
		token   string
		fz      *faceindex.Frozen
		forgets int
	)
	err := s.store.WithFaceToken(func(current string) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		if current == s.written {
			return nil
		}
		token, fz, forgets = current, s.index.Freeze(), s.forgets
		return nil
	})
	if err != nil || fz == nil {
		return -1, err
	}
	key, err := s.store.FaceSnapshotKey()
	if err != nil {
		return 0, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(s.path), filepath.Base(s.path)+".*.tmp")
	if err != nil {
		return 0, err
	}
	defer os.Remove(tmp.Name()) // after the rename, nothing
	if err := writeSnapshotFile(tmp, token, key.Recipient(), fz); err != nil {
		tmp.Close()
		return 0, err
	}
	if err := tmp.Close(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.forgets != forgets {
		return -1, nil // a face was removed since the freeze: this file would keep it
	}
	if err := os.Rename(tmp.Name(), s.path); err != nil {
		return 0, err
	}
	s.written = token
	syncDir(filepath.Dir(s.path))
	return fz.Len(), nil
}

func writeSnapshotFile(f *os.File, token string, to age.Recipient, fz *faceindex.Frozen) error {
	bw := bufio.NewWriterSize(f, 1<<16)
	if _, err := io.WriteString(bw, snapHeader+token+"\n"); err != nil {
		return err
	}
	ew, err := age.Encrypt(bw, to)
	if err != nil {
		return err
	}
	if err := fz.Write(ew); err != nil {
		return err
	}
	if err := ew.Close(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return f.Sync()
}

// syncDir makes a rename in dir durable (best effort: a lost rename only
// costs a rebuild at the next start).
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// readAhead reads its source on a goroutine of its own, a buffer ahead of
// its reader: the snapshot is decrypted on one core while the other
// decodes it.
type readAhead struct {
	full  chan []byte // read from the source, in order
	empty chan []byte // given back by the reader
	stop  chan struct{}
	done  chan struct{}
	buf   []byte // the buffer being read, whole
	cur   []byte // what is left of it
	err   error  // the source's error, after full is closed
}

const readAheadBuf = 1 << 20

func newReadAhead(src io.Reader) *readAhead {
	r := &readAhead{full: make(chan []byte, 3), empty: make(chan []byte, 4), stop: make(chan struct{}), done: make(chan struct{})}
	for range 4 {
		r.empty <- make([]byte, readAheadBuf)
	}
	go func() {
		defer close(r.done)
		defer close(r.full)
		for {
			var buf []byte
			select {
			case buf = <-r.empty:
			case <-r.stop:
				return
			}
			n, err := io.ReadFull(src, buf[:cap(buf)])
			if n > 0 {
				select {
				case r.full <- buf[:n]:
				case <-r.stop:
					return
				}
			}
			if err != nil {
				if err != io.ErrUnexpectedEOF && err != io.EOF {
					r.err = err
				}
				return
			}
		}
	}()
	return r
}

func (r *readAhead) Read(p []byte) (int, error) {
	for len(r.cur) == 0 {
		if r.buf != nil {
			r.empty <- r.buf[:cap(r.buf)] // never blocks: it has room for every buffer
			r.buf = nil
		}
		buf, ok := <-r.full
		if !ok {
			if r.err != nil {
				return 0, r.err
			}
			return 0, io.EOF
		}
		r.buf, r.cur = buf, buf
	}
	n := copy(p, r.cur)
	r.cur = r.cur[n:]
	return n, nil
}

// Close stops the goroutine and waits for it.
func (r *readAhead) Close() {
	close(r.stop)
	<-r.done
}
