package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"menwei/controller/store"
)

func storeKeygen(fs *flag.FlagSet, out io.Writer) func(*store.Store) error {
	path := fs.String("out", "", "where to write the key (must not exist)")
	return func(*store.Store) error {
		if *path == "" {
			return usageError{"store keygen: -out FILE is required"}
		}
		if _, err := store.NewKeyFile(*path); err != nil {
			return err
		}
		_, err := fmt.Fprintf(out, "new store key written to %s (mode 0600)\n", *path)
		return err
	}
}

func storeEncrypt(fs *flag.FlagSet, out io.Writer) func(*store.Store) error {
	keep := fs.Bool("keep-plaintext", false, "keep the plaintext store in DIR.plaintext (remove it yourself once checked)")
	return func(*store.Store) error {
		p := storePaths
		key, made, err := keyOrNew(p.keyFile)
		if err != nil {
			return err
		}
		n, err := store.Encrypt(p.dir, key, *keep, nil)
		if err != nil {
			if made {
				os.Remove(p.keyFile) // it encrypts nothing
			}
			return err
		}
		fmt.Fprintf(out, "store %s encrypted: %d records copied and compared\n", p.dir, n)
		if made {
			fmt.Fprintf(out, "its key is the new file %s: keep a copy apart from the data (without it the store cannot be read)\n", p.keyFile)
		}
		if *keep {
			fmt.Fprintf(out, "the plaintext store is in %s.plaintext: remove it once you have checked the gate\n", p.dir)
		}
		return nil
	}
}

// keyOrNew reads the key file, or makes it when it does not exist.
func keyOrNew(path string) (key []byte, made bool, err error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		key, err := store.NewKeyFile(path)
		return key, err == nil, err
	}
	key, err = store.ReadKey(path)
	return key, false, err
}

// storeRotateKey makes a new key beside the old one (KEY.new), re-encrypts
// the store's key registry with it, then renames it over the old key file.
// Interrupted between the two steps, the store opens with KEY.new.
func storeRotateKey(fs *flag.FlagSet, out io.Writer) func(*store.Store) error {
	return func(*store.Store) error {
		p := storePaths
		oldKey, err := store.ReadKey(p.keyFile)
		if err != nil {
			return err
		}
		next := p.keyFile + ".new"
		newKey, err := store.NewKeyFile(next)
		if err != nil {
			return fmt.Errorf("%w (a %s left by an interrupted rotation? if the store opens with it, rename it over %s)", err, next, p.keyFile)
		}
		if err := store.Rekey(p.dir, oldKey, newKey, nil); err != nil {
			os.Remove(next)
			return err
		}
		if err := os.Rename(next, p.keyFile); err != nil {
			return fmt.Errorf("the store now opens with %s, but it could not replace %s: %w", next, p.keyFile, err)
		}
		if d, err := os.Open(filepath.Dir(p.keyFile)); err == nil {
			d.Sync()
			d.Close()
		}
		_, err = fmt.Fprintf(out, "store %s has a new key in %s; the old key no longer opens it (copies of the old key and old backups go together)\n", p.dir, p.keyFile)
		return err
	}
}
