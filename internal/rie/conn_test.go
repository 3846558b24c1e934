package rie

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"
)

// Invoke keeps one connection alive across invokes and replaces it when it
// is no longer usable.
func TestInvokeReusesAndReplacesConnection(t *testing.T) {
	inst := startEcho(t, nil)
	invokeJSON(t, inst, `{"echo":"1"}`)
	first := inst.idle
	if first == nil {
		t.Fatal("no kept-alive connection after an invoke")
	}
	invokeJSON(t, inst, `{"echo":"2"}`)
	if inst.idle != first {
		t.Fatal("the kept-alive connection was not reused")
	}
	// A connection that is no longer usable is replaced transparently.
	_ = first.c.Close()
	if got := invokeJSON(t, inst, `{"echo":"3"}`); got["echo"] != "3" {
		t.Fatalf("after the connection was closed: %v", got)
	}
	if inst.idle == nil || inst.idle == first {
		t.Fatal("closed connection kept")
	}
}

func TestInvokeHonoursContext(t *testing.T) {
	inst := startEcho(t, nil)
	invokeJSON(t, inst, `{"echo":"warm"}`)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := inst.Invoke(ctx, []byte(`{"sleep":"300ms"}`))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Invoke past the deadline: %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 200*time.Millisecond {
		t.Fatalf("Invoke returned after %s, the deadline was 20ms", d)
	}
	if inst.idle != nil {
		t.Fatal("the connection of an abandoned invoke was kept")
	}
	cancelled, cancelNow := context.WithCancel(context.Background())
	cancelNow()
	if _, err := inst.Invoke(cancelled, []byte(`{}`)); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Invoke: %v", err)
	}
	time.Sleep(400 * time.Millisecond) // RIE serves one invoke at a time: let the sleeper finish
	if got := invokeJSON(t, inst, `{"echo":"after"}`); got["echo"] != "after" {
		t.Fatalf("after a timed-out invoke: %v", got)
	}
}

func TestPeerOpen(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	dial := func() (*net.TCPConn, net.Conn) {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		s, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		return c.(*net.TCPConn), s
	}
	waitFor := func(c *net.TCPConn, want bool) {
		t.Helper()
		for range 200 {
			if peerOpen(c) == want {
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
		t.Fatalf("peerOpen = %v, want %v", !want, want)
	}

	c, s := dial()
	if !peerOpen(c) {
		t.Fatal("open connection reported closed")
	}
	_ = s.Close()
	waitFor(c, false)
	_ = c.Close()

	c, s = dial()
	_, _ = s.Write([]byte("unsolicited"))
	waitFor(c, false)
	_ = c.Close()
	_ = s.Close()

	c, s = dial()
	_ = c.Close()
	if peerOpen(c) {
		t.Fatal("locally closed connection reported open")
	}
	_ = s.Close()
}

func TestInvokeErrorNamesAddress(t *testing.T) {
	inst := startEcho(t, nil)
	if err := inst.Stop(); err != nil {
		t.Fatal(err)
	}
	_, err := inst.Invoke(context.Background(), []byte(`{}`))
	if err == nil || !strings.Contains(err.Error(), inst.InvokeAddr()) {
		t.Fatalf("Invoke after Stop: %v", err)
	}
}
