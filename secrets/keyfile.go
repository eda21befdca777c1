package secrets

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// Environment variables that hold keys, written as ParseKey reads them.
// Keys are taken from the environment or from files, never from flags: a
// flag's value is visible to every user of the machine in the process list.
const (
	// EnvKey is the key new secrets are sealed with. When set, key files
	// are not used.
	EnvKey = "QUESTGATE_SECRET_KEY"
	// EnvPreviousKey is an older key, kept to open secrets sealed before a
	// rotation until `questgate keys rotate` has re-sealed them.
	EnvPreviousKey = "QUESTGATE_PREVIOUS_SECRET_KEY"
	// EnvNewKey is the key `questgate keys rotate` moves to, for servers
	// whose key is in EnvKey.
	EnvNewKey = "QUESTGATE_NEW_SECRET_KEY"
)

// Key files, in the data directory.
const (
	// KeyFileName holds the current key, created (0600) on first start.
	KeyFileName = "secret.key"
	// NextKeyFileName holds the key a rotation moves to, from the moment
	// the rotation starts until it is over; a server finding one loads it
	// too, so no secret is ever sealed with a key it cannot read.
	NextKeyFileName = "secret.key.next"
)

// Source says where a server's keys are: EnvKey (and EnvPreviousKey) read
// through Getenv when EnvKey is set, else the key files in Dir.
type Source struct {
	Dir    string
	Getenv func(string) string
}

// Keys are a server's keys and where they came from.
type Keys struct {
	// Ring seals with the current key and opens with every key found.
	Ring *Ring
	// FromEnv is true when the current key came from EnvKey.
	FromEnv bool
	// File is the key file's path, used unless FromEnv.
	File string
	// Created is true when LoadOrCreate has just written a new key file:
	// it must be backed up with the database, or the secrets are lost.
	Created bool
	// Next is the key of a rotation that has not finished (the key in
	// NextKeyFileName), loaded to open what it sealed; nil when none.
	Next *Key
}

// LoadOrCreate returns the server's keys, creating the key file with a new
// random key on first start. It refuses a key file that group or others may
// read (the key would not be secret), and a malformed key, with a message
// saying how to fix it that never quotes the key.
func (s Source) LoadOrCreate() (*Keys, error) { return s.load(true) }

// Load is LoadOrCreate without creating: a missing key file is an error.
// A running server reloads its keys with it when it meets a key it lacks.
func (s Source) Load() (*Keys, error) { return s.load(false) }

// File is the path of the current key file.
func (s Source) File() string { return filepath.Join(s.Dir, KeyFileName) }

// NextFile is the path of the key file of a rotation under way.
func (s Source) NextFile() string { return filepath.Join(s.Dir, NextKeyFileName) }

func (s Source) getenv(name string) string {
	if s.Getenv == nil {
		return ""
	}
	return s.Getenv(name)
}

func (s Source) load(create bool) (*Keys, error) {
	previous, err := s.envKey(EnvPreviousKey)
	if err != nil {
		return nil, err
	}
	ks := &Keys{File: s.File()}
	if v := s.getenv(EnvKey); v != "" {
		k, err := ParseKey(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", EnvKey, err)
		}
		ks.FromEnv = true
		ks.Ring = NewRing(k, previous)
		return ks, nil
	}
	// The rotation's key is read first: FinishRotation renames it over
	// the key file, and read in the other order a load straddling the
	// rename would find the old key file and no rotation key, and lack
	// the key every secret was just sealed with.
	next, err := readKeyFile(s.NextFile())
	switch {
	case err == nil:
		ks.Next = next
	case !errors.Is(err, fs.ErrNotExist):
		return nil, err
	}
	current, err := readKeyFile(ks.File)
	if errors.Is(err, fs.ErrNotExist) && create {
		k, gerr := GenerateKey()
		if gerr != nil {
			return nil, gerr
		}
		switch err = writeKeyFile(ks.File, k); {
		case err == nil:
			current, ks.Created = k, true
		case errors.Is(err, fs.ErrExist):
			// Another process created it first: use theirs.
			current, err = readKeyFile(ks.File)
		}
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no secret key: %s does not exist and %s is not set (questgate serve creates the key file on first start)", ks.File, EnvKey)
	}
	if err != nil {
		return nil, err
	}
	if ks.Next != nil && ks.Next.ID() == current.ID() {
		ks.Next = nil // the rotation finished between the two reads
	}
	ks.Ring = NewRing(current, ks.Next, previous)
	return ks, nil
}

// envKey parses the key in environment variable name, nil when unset.
func (s Source) envKey(name string) (*Key, error) {
	v := s.getenv(name)
	if v == "" {
		return nil, nil
	}
	k, err := ParseKey(v)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return k, nil
}

// RotationTarget returns the key `questgate keys rotate` moves to.
//
// With EnvKey set it is the key in EnvNewKey, or the current key when
// EnvNewKey is unset (which re-seals what older keys still seal, finishing
// a switch made with EnvPreviousKey). With key files it is the key of an
// unfinished rotation when NextKeyFileName exists, else a new key written
// there before anything is sealed with it, so a crash at any point leaves
// every secret readable and running rotate again finishes the job.
func (s Source) RotationTarget(ks *Keys) (*Key, error) {
	if ks.FromEnv {
		k, err := s.envKey(EnvNewKey)
		if err != nil || k != nil {
			return k, err
		}
		return ks.Ring.Current(), nil
	}
	if ks.Next != nil {
		return ks.Next, nil
	}
	k, err := GenerateKey()
	if err != nil {
		return nil, err
	}
	if err := writeKeyFile(s.NextFile(), k); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("%s appeared while rotating: is another rotation running?", s.NextFile())
		}
		return nil, err
	}
	return k, nil
}

// FinishRotation makes the rotation's key the current key file: it renames
// NextKeyFileName over KeyFileName, which replaces the file in one step.
// Call it only once every secret is sealed with that key.
func (s Source) FinishRotation() error {
	if err := os.Rename(s.NextFile(), s.File()); err != nil {
		return fmt.Errorf("install the new key: %w", err)
	}
	return syncDir(s.Dir)
}

// readKeyFile reads and checks a key file.
func readKeyFile(path string) (*Key, error) {
	fi, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return nil, fmt.Errorf("secret key file: %w", err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("secret key file %s may be read by other users (mode %#o): make it private with: chmod 600 %s",
			path, fi.Mode().Perm(), path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("secret key file: %w", err)
	}
	k, err := ParseKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("secret key file %s is malformed: %w", path, err)
	}
	return k, nil
}

// writeKeyFile writes k to path, readable by its owner only. The file
// appears whole or not at all: it is written and synced under a temporary
// name, then linked into place, which fails with fs.ErrExist rather than
// replace a file another process wrote.
func writeKeyFile(path string, k *Key) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create key folder: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".secret.key.tmp-*")
	if err != nil {
		return fmt.Errorf("write secret key: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil && runtime.GOOS != "windows" {
		tmp.Close()
		return fmt.Errorf("write secret key: %w", err)
	}
	if _, err := tmp.WriteString(k.String() + "\n"); err != nil {
		tmp.Close()
		return fmt.Errorf("write secret key: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write secret key: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write secret key: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return err
		}
		return fmt.Errorf("write secret key: %w", err)
	}
	return syncDir(dir)
}

// syncDir makes a rename or link in dir durable.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
