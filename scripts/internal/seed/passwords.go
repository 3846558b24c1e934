package seed

import (
	"fmt"

	"github.com/tenantrouting/alb-jwt-tenant-routing/scripts/internal/passwords"
)

// FilePasswords is a PasswordSource backed by a passwords file: passwords
// missing from it are generated and the file is saved (0600, atomic) in
// Prepare, before any user is changed.
type FilePasswords struct {
	Path  string
	File  passwords.File
	Added []string // usernames whose password Prepare generated
}

// LoadFilePasswords reads path (a missing file is fine: it will be created).
func LoadFilePasswords(path string) (*FilePasswords, error) {
	f, _, err := passwords.Load(path)
	if err != nil {
		return nil, err
	}
	return &FilePasswords{Path: path, File: f}, nil
}

// Prepare implements PasswordSource.
func (s *FilePasswords) Prepare(usernames []string) error {
	changed := false
	for _, u := range usernames {
		if _, ok := s.File[u]; ok {
			continue
		}
		pw, err := passwords.Generate()
		if err != nil {
			return err
		}
		s.File[u] = pw
		s.Added = append(s.Added, u)
		changed = true
	}
	if !changed {
		return nil
	}
	if err := passwords.Save(s.Path, s.File); err != nil {
		return fmt.Errorf("save %s: %w", s.Path, err)
	}
	return nil
}

// Password implements PasswordSource.
func (s *FilePasswords) Password(username string) (string, bool) {
	pw, ok := s.File[username]
	return pw, ok
}

// SharedPassword is a PasswordSource giving every user the same password
// (from an environment variable).
type SharedPassword string

// Prepare implements PasswordSource.
func (SharedPassword) Prepare([]string) error { return nil }

// Password implements PasswordSource.
func (s SharedPassword) Password(string) (string, bool) { return string(s), s != "" }
