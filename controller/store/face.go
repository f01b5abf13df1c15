package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/dgraph-io/badger/v4"
)

// Face descriptors are stored in binary, 512 bytes each, so a gate with
// 100,000 enrolled faces loads them in well under a second.
const (
	keyFace = "face/" // face/<identity>/<id> → 128 × float32 LE
	keyCrop = "crop/" // crop/<event seq, 8 bytes BE> → small JPEG of a denied face
)

// FaceRecord is one enrolled descriptor.
type FaceRecord struct {
	Identity string
	ID       string
	Vector   [128]float32
}

func encodeVector(v [128]float32) []byte {
	b := make([]byte, 0, 512)
	for _, f := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(f))
	}
	return b
}

func decodeVector(b []byte) ([128]float32, error) {
	var v [128]float32
	if len(b) != 512 {
		return v, fmt.Errorf("store: face record of %d bytes", len(b))
	}
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v, nil
}

// PutFace stores a descriptor for an existing identity.
func (s *Store) PutFace(f FaceRecord) error {
	if !idRE.MatchString(f.ID) {
		return fmt.Errorf("%w: face id %q", ErrBadRequest, f.ID)
	}
	return s.write(func(w *writer) error {
		if _, err := w.txn.Get([]byte(keyIdentity + f.Identity)); errors.Is(err, badger.ErrKeyNotFound) {
			return fmt.Errorf("identity %q: %w", f.Identity, ErrNotFound)
		}
		return w.apply(Change{Kind: FacePut, ID: f.Identity, Face: &f})
	})
}

// ImportFaces stores many descriptors in a few large transactions (one
// sync per thousand), for moving enrolled faces in with Import. Every face
// must belong to an existing identity; a refused chunk is not written.
func (s *Store) ImportFaces(fs []FaceRecord) error {
	for _, f := range fs {
		if !idRE.MatchString(f.ID) {
			return fmt.Errorf("%w: face id %q", ErrBadRequest, f.ID)
		}
	}
	const chunk = 1000
	for len(fs) > 0 {
		n := min(len(fs), chunk)
		err := s.write(func(w *writer) error {
			for _, f := range fs[:n] {
				if _, err := w.txn.Get([]byte(keyIdentity + f.Identity)); errors.Is(err, badger.ErrKeyNotFound) {
					return fmt.Errorf("identity %q: %w", f.Identity, ErrNotFound)
				}
				if err := w.apply(Change{Kind: FacePut, ID: f.Identity, Face: &f}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("store: import faces: %w", err)
		}
		fs = fs[n:]
	}
	return nil
}

// DeleteFaces removes every descriptor of an identity and reports how many.
// A person without faces is no change (nothing written, nothing published):
// retention asks this of every past visitor every minute.
func (s *Store) DeleteFaces(identity string) (int, error) {
	n := 0
	err := s.write(func(w *writer) error {
		if n = len(faceKeys(w.txn, identity)); n == 0 {
			return nil
		}
		return w.apply(Change{Kind: FacesDeleted, ID: identity})
	})
	return n, err
}

// faceKeys lists the keys of an identity's faces.
func faceKeys(txn *badger.Txn, identity string) [][]byte {
	return prefixKeys(txn, keyFace+identity+"/")
}

// prefixKeys lists the keys that start with prefix.
func prefixKeys(txn *badger.Txn, prefix string) [][]byte {
	it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(prefix)})
	defer it.Close()
	var keys [][]byte
	for it.Rewind(); it.Valid(); it.Next() {
		keys = append(keys, it.Item().KeyCopy(nil))
	}
	return keys
}

// Faces calls yield for every stored descriptor, stopping if it returns false.
func (s *Store) Faces(yield func(FaceRecord) bool) error {
	return s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(keyFace), PrefetchValues: true, PrefetchSize: 256})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			rest := strings.TrimPrefix(string(it.Item().Key()), keyFace)
			who, id, ok := strings.Cut(rest, "/")
			if !ok {
				continue
			}
			var v [128]float32
			err := it.Item().Value(func(b []byte) error {
				var err error
				v, err = decodeVector(b)
				return err
			})
			if err != nil {
				return err
			}
			if !yield(FaceRecord{Identity: who, ID: id, Vector: v}) {
				return nil
			}
		}
		return nil
	})
}

// PutCrop keeps a small JPEG of a denied face, linked to its event.
func (s *Store) PutCrop(seq uint64, jpg []byte) error {
	return s.db.Update(func(txn *badger.Txn) error {
		return txn.Set(binary.BigEndian.AppendUint64([]byte(keyCrop), seq), jpg)
	})
}

// Crop returns the face crop kept for an event.
func (s *Store) Crop(seq uint64) ([]byte, error) {
	var out []byte
	err := s.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(binary.BigEndian.AppendUint64([]byte(keyCrop), seq))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return fmt.Errorf("%w: face crop of event %d", ErrNotFound, seq)
		}
		if err != nil {
			return err
		}
		out, err = item.ValueCopy(nil)
		return err
	})
	return out, err
}

// PruneCrops keeps at most maxCount crops and drops those of events up to
// and including dropThroughSeq (the caller maps its age limit to a seq).
// Crops are ordered by event seq, so the oldest go first. It returns how
// many were removed.
func (s *Store) PruneCrops(maxCount int, dropThroughSeq uint64) (int, error) {
	var keys [][]byte
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(keyCrop)})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			keys = append(keys, it.Item().KeyCopy(nil))
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	var drop [][]byte
	for i, k := range keys {
		seq := binary.BigEndian.Uint64(k[len(keyCrop):])
		if len(keys)-i > maxCount || seq <= dropThroughSeq {
			drop = append(drop, k)
		}
	}
	removed := len(drop)
	for len(drop) > 0 {
		n := min(len(drop), 1000)
		if err := s.db.Update(func(txn *badger.Txn) error {
			for _, k := range drop[:n] {
				if err := txn.Delete(k); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return 0, err
		}
		drop = drop[n:]
	}
	return removed, nil
}
