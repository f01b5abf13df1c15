// Command menweictl administers a menwei gate controller's store.
//
//	menweictl [-config menwei.yaml | -store DIR] COMMAND [flags]
//
// It opens the Badger store directly, so menweid must not be running while
// it does (the store says so if it is); the HTTP API takes over these tasks
// on a running gate. Run it without arguments for the list of commands.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"menwei/controller/config"
	"menwei/controller/store"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "menweictl:", err)
		var ue usageError
		if errors.As(err, &ue) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// modelsDir is face.models from the configuration, for faces enroll.
var modelsDir string

// storePaths are where the store and its key are (from the configuration
// or -store and -key), for the commands that handle the store's files
// themselves (store encrypt, store rotate-key).
var storePaths struct {
	dir, keyFile string
	explicit     bool // the key file was named (config store.key_file or -key)
}

// withoutStore are the commands that do not open the store.
var withoutStore = map[string]bool{"cert": true, "estate nkey": true, "store keygen": true, "store encrypt": true, "store rotate-key": true}

type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

// command is one subcommand: its flags are declared by setup, which
// returns the action to run on the open store.
type command struct {
	name  string
	usage string
	setup func(fs *flag.FlagSet, out io.Writer) func(*store.Store) error
	// creates: the command may make a new store (the first records of an
	// install). Every other command needs an existing store and creates
	// nothing, so a wrong path is an error and not an empty store.
	creates bool
}

func usage() string {
	var b strings.Builder
	b.WriteString("usage: menweictl [-config FILE | -store DIR] COMMAND [flags]\ncommands:\n")
	for _, c := range commands {
		fmt.Fprintf(&b, "  %-20s %s\n", c.name, c.usage)
	}
	fmt.Fprintf(&b, "  %-20s %s\n", "restore", restoreUsage)
	b.WriteString("with -api URL, menweictl talks to a running menweid instead (menweictl -api URL help lists the remote commands)\n")
	b.WriteString("cards: FACILITY:NUMBER (26-bit H10301), h10301:F:N or raw:BITS:HEX\n")
	b.WriteString("periods: \"mon-fri 08:00-18:00\", \"sat,sun 09:00-12:00\", \"fri 22:00-06:00\" (crosses midnight)\n")
	return b.String()
}

// printHelp answers -h: the usage line and the flags, on standard output.
func printHelp(out io.Writer, fs *flag.FlagSet, line string) error {
	fmt.Fprintf(out, "usage: %s\n", strings.TrimSpace(line))
	fs.SetOutput(out)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
	return nil
}

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

func run(args []string, out io.Writer) error {
	top := flag.NewFlagSet("menweictl", flag.ContinueOnError)
	top.SetOutput(io.Discard)
	configPath := top.String("config", "menwei.yaml", "configuration file, to find the store")
	storeDir := top.String("store", "", "store directory (instead of -config)")
	keyFile := top.String("key", "", "with -store: the store's key file (default: keys/store.key beside the store's directory)")
	apiURL := top.String("api", "", "a running menweid's API, e.g. https://gate.local:8080: run a remote command")
	insecure := top.Bool("insecure", false, "with -api: accept a self-signed certificate")
	if err := top.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) { // asked for: the usage on standard output, no error
			help := usage()
			if *apiURL != "" {
				help = remoteUsage + "\n"
			}
			_, err := io.WriteString(out, help)
			return err
		}
		return usageError{err.Error() + "\n" + usage()}
	}
	rest := top.Args()
	if *apiURL != "" {
		return runRemote(*apiURL, *insecure, rest, out)
	}
	if len(rest) > 0 && rest[0] == "restore" { // files and flags in any order; makes its own store
		return restore(rest[1:], out)
	}
	var (
		cmd   *command
		words int
	)
	for i := range commands { // the longest name that matches: "events export" before "events"
		w := strings.Fields(commands[i].name)
		if len(w) > words && len(rest) >= len(w) && strings.Join(rest[:len(w)], " ") == commands[i].name {
			cmd, words = &commands[i], len(w)
		}
	}
	if cmd != nil {
		rest = rest[words:]
	}
	if cmd == nil {
		return usageError{fmt.Sprintf("unknown command %q\n%s", strings.Join(rest, " "), usage())}
	}
	fs := flag.NewFlagSet(cmd.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	action := cmd.setup(fs, out)
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return printHelp(out, fs, "menweictl "+cmd.name+" "+cmd.usage)
		}
		return usageError{fmt.Sprintf("%s: %v\nusage: menweictl %s %s", cmd.name, err, cmd.name, cmd.usage)}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("%s: unexpected %q", cmd.name, fs.Args())}
	}
	if cmd.name == "cert" || cmd.name == "estate nkey" || cmd.name == "store keygen" { // needs no store
		return action(nil)
	}
	dir, api := *storeDir, "http://127.0.0.1:8080"
	key, explicit := *keyFile, *keyFile != ""
	if dir != "" && key == "" {
		key = filepath.Join(filepath.Dir(filepath.Clean(dir)), "keys", "store.key")
	}
	if dir == "" {
		raw, err := os.ReadFile(*configPath)
		if err != nil {
			return fmt.Errorf("%w (or give -store DIR)", err)
		}
		abs, _ := filepath.Abs(*configPath)
		cfg, err := config.Parse(raw, filepath.Dir(abs))
		if err != nil {
			return err
		}
		dir = cfg.Store.Dir
		key, explicit = cfg.Store.KeyFile, cfg.Store.KeyExplicit
		modelsDir = cfg.Face.Models
		api = "http://" + cfg.HTTP.Listen
		if cfg.HTTP.Cert != "" {
			api = "https://" + cfg.HTTP.Listen
		}
	}
	storePaths.dir, storePaths.keyFile, storePaths.explicit = dir, key, explicit
	if withoutStore[cmd.name] {
		return action(nil)
	}
	plan, err := store.PlanKey(key, dir, explicit, cmd.creates)
	if err != nil {
		return err
	}
	if plan.Created {
		fmt.Fprintf(out, "new store: its encryption key is in %s; keep a copy of it apart from the data (without it the store cannot be read)\n", plan.Path)
	}
	s, err := store.Open(store.Options{Dir: dir, MustExist: !cmd.creates, Key: plan.Key})
	if errors.Is(err, store.ErrStoreLocked) {
		// menweid has the store: the running gate does these tasks over its API.
		return fmt.Errorf("%w\nthe gate is running: use its API instead, e.g. menweictl -api %s %s ... (menweictl -api URL help lists the commands), or stop menweid first", err, api, cmd.name)
	}
	if err != nil {
		return err
	}
	defer s.Close()
	return action(s)
}
