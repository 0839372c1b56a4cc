package config

import (
	"fmt"
	"net"
	"net/netip"
)

// UI holds the settings of River's web UI, which the worker serves beside
// its probes. The UI can retry, cancel and delete jobs, so it is off unless
// WORKER_UI_ADDR is set, listens on loopback unless told otherwise, and
// always asks for a user and password (HTTP basic auth).
type UI struct {
	// Addr is the UI's host:port; empty turns the UI off. The host must be
	// a loopback address (127.0.0.1, ::1 or localhost) unless Public is
	// set: basic auth over plain HTTP should not cross a network. Reach it
	// through an SSH tunnel or a TLS reverse proxy on the same host.
	Addr     string `env:"WORKER_UI_ADDR"`
	User     string `env:"WORKER_UI_USER"`
	Password string `env:"WORKER_UI_PASSWORD"`
	// Public says that a non-loopback Addr is meant: a container publishes
	// the UI to the TLS proxy in front of it, which cannot reach the
	// container's loopback.
	Public DjangoBool `env:"WORKER_UI_PUBLIC"`
}

// Loopback reports whether the UI listens on this host only.
func (u *UI) Loopback() bool {
	host, _, err := net.SplitHostPort(u.Addr)
	return err == nil && isLoopback(host)
}

// Enabled reports whether the worker serves the UI.
func (u *UI) Enabled() bool { return u.Addr != "" }

func (u *UI) validate() []error {
	if !u.Enabled() {
		return nil
	}
	var problems []error
	add := func(format string, args ...any) { problems = append(problems, fmt.Errorf(format, args...)) }
	if host, _, err := net.SplitHostPort(u.Addr); err != nil {
		add("WORKER_UI_ADDR: %q is not host:port", u.Addr)
	} else if !isLoopback(host) && !bool(u.Public) {
		add("WORKER_UI_ADDR: %q is not a loopback address; the UI listens on 127.0.0.1, ::1 or localhost unless WORKER_UI_PUBLIC=True (use an SSH tunnel or a TLS reverse proxy on this host)", u.Addr)
	}
	// The password's value never appears here, not even its length.
	if u.User == "" {
		add("WORKER_UI_USER: not set; required with WORKER_UI_ADDR (the UI always asks for a user and password)")
	}
	if u.Password == "" {
		add("WORKER_UI_PASSWORD: not set; required with WORKER_UI_ADDR (the UI always asks for a user and password)")
	}
	return problems
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}
