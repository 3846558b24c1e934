package localproc

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"syscall"
)

// ErrPortInUse is returned (wrapped) when a chosen port is taken.
var ErrPortInUse = errors.New("port already in use")

// CheckPortFree fails, naming flag (the option that chose the port, e.g.
// "--cognito-port"), when host:port cannot be bound. A busy port wraps
// ErrPortInUse.
func CheckPortFree(host string, port int, flag string) error {
	if port < 1 || port > 65535 {
		return fmt.Errorf("%s %d: a port must be between 1 and 65535", flag, port)
	}
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	l, err := net.Listen("tcp", addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			err = fmt.Errorf("%w: %w", ErrPortInUse, err)
		}
		return fmt.Errorf("port %d (%s) is busy on %s: stop what uses it or choose another with %s: %w", port, flag, host, flag, err)
	}
	return l.Close()
}

// FreeAddrs resolves host:port addresses for children to listen on: an
// empty address is 127.0.0.1:0, port 0 becomes a free port, and a given
// port must be free. The ports are probed by binding them all at once (so
// picked ports differ) and released on return: another process may take one
// before the child binds it, which the child then reports by exiting.
func FreeAddrs(addrs ...string) ([]string, error) {
	out := make([]string, len(addrs))
	var probes []net.Listener
	defer func() {
		for _, l := range probes {
			_ = l.Close()
		}
	}()
	for n, addr := range addrs {
		if addr == "" {
			addr = "127.0.0.1:0"
		}
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return nil, fmt.Errorf("address %q: %w", addr, err)
		}
		l, err := net.Listen("tcp", addr)
		if err != nil {
			if errors.Is(err, syscall.EADDRINUSE) {
				err = fmt.Errorf("%w: %w", ErrPortInUse, err)
			}
			return nil, fmt.Errorf("address %s is not available: %w", addr, err)
		}
		probes = append(probes, l)
		out[n] = l.Addr().String()
	}
	return out, nil
}

// FreePort returns a port on host that was free a moment ago.
func FreePort(host string) (int, error) {
	addrs, err := FreeAddrs(net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, err
	}
	_, port, _ := net.SplitHostPort(addrs[0])
	return strconv.Atoi(port)
}
