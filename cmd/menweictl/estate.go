package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/nats-io/nkeys"

	"menwei/controller/eventlog"
	"menwei/controller/store"
)

// estateNKey makes a gate's NKey (docs/estate.md): the seed goes into
// <out>/<gate>.nk (mode 600) for the gate's estate.nkey_seed_file, and the
// public key is printed as the line for the office's estate.gates. The
// seed is never printed.
func estateNKey(fs *flag.FlagSet, out io.Writer) func(*store.Store) error {
	gate := fs.String("gate", "", "the gate's name (1-32 of a-z, 0-9, -)")
	dir := fs.String("out", ".", "directory for <gate>.nk")
	return func(*store.Store) error {
		if !eventlog.ValidGate(*gate) {
			return fmt.Errorf("estate nkey: -gate %q: 1 to 32 of a-z, 0-9 and -", *gate)
		}
		kp, err := nkeys.CreateUser()
		if err != nil {
			return err
		}
		defer kp.Wipe()
		seed, err := kp.Seed()
		if err != nil {
			return err
		}
		pub, err := kp.PublicKey()
		if err != nil {
			return err
		}
		file := filepath.Join(*dir, *gate+".nk")
		f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("estate nkey: %s exists (a gate keeps its key; remove the file to make a new one, and change the office's line)", file)
		}
		if err != nil {
			return err
		}
		if _, err := f.Write(append(seed, '\n')); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		fmt.Fprintf(out, "wrote %s (the gate's estate.nkey_seed_file; keep it on the gate only)\n", file)
		fmt.Fprintf(out, "for the office's estate.gates:\n    - { name: %s, nkey: %s }\n", *gate, pub)
		return nil
	}
}
