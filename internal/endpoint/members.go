package endpoint

import (
	"net"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/busbar/busbar/internal/config"
	"github.com/busbar/busbar/internal/engine"
	"github.com/busbar/busbar/internal/fault"
	"github.com/busbar/busbar/internal/registry"
)

// member is a <member hostName httpPort httpsPort/> of a load balancer.
type member struct {
	host      string
	httpPort  int
	httpsPort int
	down      atomic.Bool
}

// memberSet holds a load balancer's members. A member that fails is set
// aside; a watcher re-activates it when a connection to it succeeds again
// (every 500 ms, first after 1 s, as Synapse does).
type memberSet struct {
	list []*member
	def  *Definition
	stop chan struct{}
	once sync.Once
}

func newMembers(b registry.Builder, el *config.Element, els []*config.Element) *memberSet {
	ms := &memberSet{def: &Definition{InitialDuration: -1, Factor: 1}, stop: make(chan struct{})}
	for _, m := range els {
		mb := &member{host: m.Get("hostName"), httpPort: attrInt(b, m, "httpPort"), httpsPort: attrInt(b, m, "httpsPort")}
		if mb.host == "" || (mb.httpPort == 0 && mb.httpsPort == 0) {
			b.Errorf(m.Pos, "a <member> needs hostName and httpPort or httpsPort")
		}
		ms.list = append(ms.list, mb)
	}
	b.OnClose(ms.close)
	go ms.watch()
	return ms
}

func attrInt(b registry.Builder, el *config.Element, name string) int {
	v := el.Get(name)
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 || n > 65535 {
		b.Errorf(el.Pos, "%s=%q is not a port", name, v)
		return 0
	}
	return n
}

func (ms *memberSet) close() { ms.once.Do(func() { close(ms.stop) }) }

func (ms *memberSet) active(i int) bool { return !ms.list[i].down.Load() }

func (ms *memberSet) anyActive() bool {
	for i := range ms.list {
		if ms.active(i) {
			return true
		}
	}
	return false
}

// send delivers to member i: the message's own address with the member's
// host and port.
func (ms *memberSet) send(c *engine.Context, i int) error {
	m := ms.list[i]
	target, err := m.url(c.Msg.To, c.Msg.RequestURI)
	if err != nil {
		return fault.Newf(fault.ConnectionFailed, "Error connecting to the back end: cannot build a member address from %q: %v", c.Msg.To, err)
	}
	err = deliver(c, ms.def, outbound{method: methodOf(c), url: target})
	if err != nil {
		if fe := fault.Wrap(err); fe.State >= 0 {
			m.down.Store(true)
			c.Log().Warn("load-balance member failed; set aside until it accepts connections again", "member", net.JoinHostPort(m.host, strconv.Itoa(m.port(false))), "code", fe.Code.String())
		}
	}
	return err
}

func (m *member) port(https bool) int {
	if https && m.httpsPort > 0 || m.httpPort == 0 {
		return m.httpsPort
	}
	return m.httpPort
}

func (m *member) url(to, requestURI string) (string, error) {
	u, err := url.Parse(to)
	if err != nil || u.Host == "" {
		u, err = url.Parse(requestURI)
		if err != nil {
			return "", err
		}
		u.Scheme = "http"
	}
	https := u.Scheme == "https" && m.httpsPort > 0 || m.httpPort == 0
	u.Scheme = "http"
	if https {
		u.Scheme = "https"
	}
	u.Host = net.JoinHostPort(m.host, strconv.Itoa(m.port(https)))
	return u.String(), nil
}

func (ms *memberSet) watch() {
	select {
	case <-ms.stop:
		return
	case <-time.After(time.Second):
	}
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		for _, m := range ms.list {
			if !m.down.Load() {
				continue
			}
			addr := net.JoinHostPort(m.host, strconv.Itoa(m.port(m.httpPort == 0)))
			if c, err := net.DialTimeout("tcp", addr, 500*time.Millisecond); err == nil {
				c.Close()
				m.down.Store(false)
			}
		}
		select {
		case <-ms.stop:
			return
		case <-t.C:
		}
	}
}
