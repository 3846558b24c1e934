package testutil

import (
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
)

func TestRequireToolFindsShell(t *testing.T) {
	if p := RequireTool(t, "sh", "apt-get install -y dash"); p == "" {
		t.Fatal("empty path for sh")
	}
}

// fakeTB records what Missing does without ending the real test.
type fakeTB struct {
	testing.TB
	skipped, failed string
}

func (f *fakeTB) Helper()                   {}
func (f *fakeTB) Skip(args ...any)          { f.skipped = fmt.Sprint(args...) }
func (f *fakeTB) Fatalf(s string, a ...any) { f.failed = fmt.Sprintf(s, a...) }

func TestMissingSkipsOrFailsUnderCI(t *testing.T) {
	t.Setenv("CI", "")
	f := &fakeTB{}
	RequireTool(f, "no-such-tool-xyz", "apt-get install -y xyz")
	if !strings.Contains(f.skipped, "apt-get install -y xyz") || f.failed != "" {
		t.Fatalf("outside CI: skipped=%q failed=%q", f.skipped, f.failed)
	}
	t.Setenv("CI", "true")
	if !InCI() {
		t.Fatal("InCI false with CI=true")
	}
	f = &fakeTB{}
	RequireTool(f, "no-such-tool-xyz", "apt-get install -y xyz")
	if !strings.Contains(f.failed, "apt-get install -y xyz") || f.skipped != "" {
		t.Fatalf("under CI: skipped=%q failed=%q", f.skipped, f.failed)
	}
}

func TestLockedBuffer(t *testing.T) {
	var b LockedBuffer
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				_, _ = b.Write([]byte("x"))
				_ = b.String()
			}
		}()
	}
	wg.Wait()
	if n := len(b.String()); n != 400 {
		t.Fatalf("len = %d, want 400", n)
	}
}

func TestListenGivesABusyPort(t *testing.T) {
	l := Listen(t)
	if _, err := net.Listen("tcp", l.Addr().String()); err == nil {
		t.Fatalf("%s was free while Listen's listener was open", l.Addr())
	}
}
