package store

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"

	"filippo.io/age"
	"github.com/dgraph-io/badger/v4"
)

// The face token names the stored faces as they are: a random value
// written again, in the same transaction, by every write that adds or
// removes a face (a face put; an identity's faces deleted, or an identity
// deleted, when it had faces: writer.faces). A face index snapshot made from the faces of token T is the
// index of these very faces wherever T is found again (a restored backup
// included), and of no others: a snapshot whose token is not the store's
// is stale (controller/facesnap.go).
//
// The snapshot key encrypts snapshot files (an age X25519 identity, kept
// in this store and so encrypted by its master key): the index holds
// every face descriptor, which is biometric data.
const (
	keyFaceToken   = "faces/token"
	keyFaceSnapKey = "faces/snapkey"
)

func newFaceToken(txn *badger.Txn) (string, error) {
	b := make([]byte, 16)
	rand.Read(b) // never fails (crypto/rand)
	tok := hex.EncodeToString(b)
	return tok, txn.Set([]byte(keyFaceToken), []byte(tok))
}

// WithFaceToken calls f with the token of the faces as stored now while
// holding the write path: no face is added or removed until f returns,
// and every change the token covers has been delivered to the change feed
// (so an index that follows the feed holds exactly these faces). f must
// be quick and must not write to the store. A store that has no token yet
// (made before tokens) gets one.
func (s *Store) WithFaceToken(f func(token string) error) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	var tok string
	err := s.db.Update(func(txn *badger.Txn) error {
		item, err := txn.Get([]byte(keyFaceToken))
		if errors.Is(err, badger.ErrKeyNotFound) {
			tok, err = newFaceToken(txn)
			return err
		}
		if err != nil {
			return err
		}
		v, err := item.ValueCopy(nil)
		tok = string(v)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: face token: %w", err)
	}
	return f(tok)
}

// FaceSnapshotKey is the key that encrypts face index snapshots, made the
// first time it is asked for. It is a secret, not a record: written
// outside the change feed.
func (s *Store) FaceSnapshotKey() (*age.X25519Identity, error) {
	var id *age.X25519Identity
	err := s.db.Update(func(txn *badger.Txn) error {
		item, err := txn.Get([]byte(keyFaceSnapKey))
		if errors.Is(err, badger.ErrKeyNotFound) {
			if id, err = age.GenerateX25519Identity(); err != nil {
				return err
			}
			return txn.Set([]byte(keyFaceSnapKey), []byte(id.String()))
		}
		if err != nil {
			return err
		}
		v, err := item.ValueCopy(nil)
		if err != nil {
			return err
		}
		id, err = age.ParseX25519Identity(string(v))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: face snapshot key: %w", err)
	}
	return id, nil
}
