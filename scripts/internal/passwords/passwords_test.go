package passwords

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGenerate(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		pw, err := Generate()
		if err != nil {
			t.Fatal(err)
		}
		if len(pw) != GeneratedLength || !MeetsStrictPolicy(pw) {
			t.Fatalf("generated password does not meet the policy (len %d)", len(pw))
		}
		if seen[pw] {
			t.Fatal("duplicate generated password")
		}
		seen[pw] = true
	}
}

func TestMeetsStrictPolicy(t *testing.T) {
	tests := []struct {
		pw   string
		want bool
	}{
		{"Abcdefghijklmn1!", true},
		{"Abcdefghijklm1!", false}, // 15 chars
		{"abcdefghijklmno1!", false},
		{"ABCDEFGHIJKLMNO1!", false},
		{"Abcdefghijklmnop!", false},
		{"Abcdefghijklmnop1", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := MeetsStrictPolicy(tt.pw); got != tt.want {
			t.Errorf("MeetsStrictPolicy(%q) = %v, want %v", tt.pw, got, tt.want)
		}
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pw.json")
	f, exists, err := Load(path)
	if err != nil || exists || len(f) != 0 {
		t.Fatalf("Load(missing) = %v, %v, %v", f, exists, err)
	}
	want := File{"alice": "Secret-1234567890ab", "bob": `quote"and\back`}
	if err := Save(path, want); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode = %v, err = %v", fi.Mode(), err)
	}
	got, exists, err := Load(path)
	if err != nil || !exists || len(got) != 2 || got["alice"] != want["alice"] || got["bob"] != want["bob"] {
		t.Fatalf("Load = %v %v %v", got, exists, err)
	}
	// No temp files left behind.
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("dir has %d entries, want 1", len(entries))
	}
}

func TestLoadRejects(t *testing.T) {
	tests := []struct {
		name    string
		content string
		mode    os.FileMode
		wantErr string
	}{
		{"group readable", `{}`, 0o640, "must not be accessible"},
		{"world readable", `{}`, 0o604, "must not be accessible"},
		{"not json", `{"alice": "s3cr3t-not-shown`, 0o600, "not valid JSON"},
		{"not object of strings", `{"alice": 1}`, 0o600, "JSON object of strings"},
		{"empty password", `{"alice": ""}`, 0o600, "empty password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "pw.json")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tt.mode); err != nil {
				t.Fatal(err)
			}
			_, _, err := Load(path)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "s3cr3t") {
				t.Fatal("error message leaks file content")
			}
		})
	}
	t.Run("symlink", func(t *testing.T) {
		dir := t.TempDir()
		target := filepath.Join(dir, "real.json")
		_ = os.WriteFile(target, []byte(`{}`), 0o600)
		link := filepath.Join(dir, "pw.json")
		if err := os.Symlink(target, link); err != nil {
			t.Skip("symlinks unsupported")
		}
		if _, _, err := Load(link); err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Fatalf("err = %v", err)
		}
	})
}
