// Package passwords reads, writes and generates the local passwords file: a
// JSON object {"<username>":"<password>"} kept with mode 0600.
//
// Files readable or writable by group or others are refused, and writes are
// atomic (temp file in the same directory, fsync, rename) so a crash never
// leaves a truncated file.
package passwords

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"unicode"
)

// File maps usernames to passwords.
type File map[string]string

// Load reads path. A missing file yields an empty File and exists=false.
func Load(path string) (f File, exists bool, err error) {
	fi, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return File{}, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("passwords file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, true, fmt.Errorf("passwords file %s is not a regular file", path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, true, fmt.Errorf("passwords file %s has mode %04o: it must not be accessible by group or others (chmod 600 %s)", path, perm, path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, true, fmt.Errorf("passwords file: %w", err)
	}
	f = File{}
	if len(strings.TrimSpace(string(b))) == 0 {
		return f, true, nil
	}
	if err := json.Unmarshal(b, &f); err != nil {
		// Never echo the content: it holds secrets.
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, true, fmt.Errorf("passwords file %s is not valid JSON (offset %d)", path, se.Offset)
		}
		return nil, true, fmt.Errorf("passwords file %s must be a JSON object of strings {\"user\":\"password\"}", path)
	}
	for user, pw := range f {
		if pw == "" {
			return nil, true, fmt.Errorf("passwords file %s: empty password for %q", path, user)
		}
	}
	return f, true, nil
}

// Save writes f to path atomically with mode 0600.
func Save(path string, f File) error {
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("encode passwords: %w", err)
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write passwords file: %w", err)
	}
	tmpName := tmp.Name()
	defer os.Remove(tmpName) // no-op after a successful rename
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("write passwords file: %w", err)
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("write passwords file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write passwords file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write passwords file: %w", err)
	}
	if err := os.Rename(tmpName, path); err != nil {
		return fmt.Errorf("write passwords file: %w", err)
	}
	if d, err := os.Open(dir); err == nil { // persist the rename
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

// Symbols are the special characters generated passwords use: a subset of
// Cognito's allowed set (^ $ * . [ ] { } ( ) ? " ! @ # % & / \ , > < ' : ; | _ ~ ` = + -)
// without quotes, backslash, spaces or shell metacharacters, so passwords can
// be pasted safely. Source: https://docs.aws.amazon.com/cognito/latest/developerguide/managing-users-passwords.html
const Symbols = "!#%*+-.:=?@^_~"

const (
	lowers = "abcdefghijkmnopqrstuvwxyz" // no l
	uppers = "ABCDEFGHJKLMNPQRSTUVWXYZ"  // no I, O
	digits = "23456789"                  // no 0, 1
)

// GeneratedLength is the length of generated passwords (Cognito's strictest
// policy needs at least 16 with upper, lower, digit and symbol; max is 256).
const GeneratedLength = 24

// Generate returns a random password of GeneratedLength characters from
// crypto/rand containing at least one upper, lower, digit and symbol.
func Generate() (string, error) {
	alphabet := lowers + uppers + digits + Symbols
	max := big.NewInt(int64(len(alphabet)))
	for {
		b := make([]byte, GeneratedLength)
		for i := range b {
			n, err := rand.Int(rand.Reader, max)
			if err != nil {
				return "", fmt.Errorf("generate password: %w", err)
			}
			b[i] = alphabet[n.Int64()]
		}
		if pw := string(b); MeetsStrictPolicy(pw) {
			return pw, nil
		}
	}
}

// MeetsStrictPolicy reports whether pw has ≥16 characters including an upper-
// and lower-case letter, a digit and a Cognito symbol.
func MeetsStrictPolicy(pw string) bool {
	var up, low, dig, sym bool
	for _, r := range pw {
		switch {
		case unicode.IsUpper(r):
			up = true
		case unicode.IsLower(r):
			low = true
		case unicode.IsDigit(r):
			dig = true
		case strings.ContainsRune(`^$*.[]{}()?"!@#%&/\,><':;|_~`+"`=+-", r):
			sym = true
		}
	}
	return len(pw) >= 16 && up && low && dig && sym
}
