package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"menwei/devices/osdp"
	"menwei/firmware-mocks/osdppd"
)

// keyStore keeps each PD's SCBK in DIR/pd-ADDR.scbk (hex, mode 0600), ADDR
// being the address the PD was configured with. A zero keyStore keeps nothing.
type keyStore struct{ dir string }

func (k keyStore) path(addr byte) string {
	return filepath.Join(k.dir, fmt.Sprintf("pd-%d.scbk", addr))
}

func (k keyStore) prepare() error {
	if k.dir == "" {
		return nil
	}
	if err := os.MkdirAll(k.dir, 0o700); err != nil {
		return fmt.Errorf("key dir: %w", err)
	}
	return nil
}

// load returns the kept key of a PD, nil when there is none.
func (k keyStore) load(addr byte) ([]byte, error) {
	if k.dir == "" {
		return nil, nil
	}
	b, err := os.ReadFile(k.path(addr))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("key dir: %w", err)
	}
	key, err := parseKey(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("key dir: %s: %w", k.path(addr), err)
	}
	return key, nil
}

// save writes a PD's key (nil removes it), atomically.
func (k keyStore) save(addr byte, key []byte) error {
	if k.dir == "" {
		return nil
	}
	if key == nil {
		if err := os.Remove(k.path(addr)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("key dir: %w", err)
		}
		return nil
	}
	tmp, err := os.CreateTemp(k.dir, ".pd-*.tmp")
	if err != nil {
		return fmt.Errorf("key dir: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.WriteString(hex.EncodeToString(key) + "\n")
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), k.path(addr))
	}
	if err != nil {
		return fmt.Errorf("key dir: %w", err)
	}
	return nil
}

// follow keeps the PD's key on disk after every KEYSET that changed it,
// until ctx is done.
func (k keyStore) follow(ctx context.Context, pd *osdppd.PD, addr byte, log *slog.Logger) {
	last := pd.Key()
	for {
		if _, err := pd.WaitCommand(ctx, osdp.CmdKEYSET); err != nil {
			return
		}
		key := pd.Key()
		if key == nil || bytes.Equal(key, last) {
			continue // refused
		}
		last = key
		if err := k.save(addr, key); err != nil {
			log.Error("key not kept", "pd", addr, "err", err)
			continue
		}
		log.Info("key kept after KEYSET", "pd", addr)
	}
}
