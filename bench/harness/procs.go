package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// proc is a process the harness started. Everything is stopped by PID:
// nothing is ever signalled by name.
type proc struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
	waitErr error
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func (p *proc) logTail() string {
	b, _ := os.ReadFile(p.logPath)
	return tail(strings.TrimSpace(string(b)), 1500)
}

// supervisor keeps the set of live processes so that an error, the
// deadline or an interrupt can stop every one of them.
type supervisor struct {
	mu    sync.Mutex
	live  map[*proc]bool
	logs  string
	pin   bool
	count int
}

func newSupervisor(logDir string, pin bool) *supervisor {
	return &supervisor{live: map[*proc]bool{}, logs: logDir, pin: pin}
}

// start runs argv with extra environment, pinned to cpu when pinning is on
// (taskset execs the program, so the PID is the program's own).
func (s *supervisor) start(name string, cpu int, env []string, argv ...string) (*proc, error) {
	if s.pin && cpu >= 0 {
		argv = append([]string{"taskset", "-c", strconv.Itoa(cpu)}, argv...)
	}
	s.mu.Lock()
	s.count++
	logPath := filepath.Join(s.logs, fmt.Sprintf("%03d-%s.log", s.count, name))
	s.mu.Unlock()
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Own process group, so a Ctrl-C at the terminal reaches only the
	// harness, which then stops its children in order; and SIGTERM if the
	// harness itself dies without cleaning up (kill -9), so that no peer is
	// left holding a port and a CPU.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("starting %s: %v", name, err)
	}
	p := &proc{name: name, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		logFile.Close()
		close(p.done)
	}()
	s.mu.Lock()
	s.live[p] = true
	s.mu.Unlock()
	return p, nil
}

// stop sends SIGTERM to the process and, if it has not exited after a
// grace period, SIGKILL to it and to each of its descendants by PID (an
// nginx master killed hard would otherwise orphan its worker).
func (s *supervisor) stop(p *proc) {
	if p == nil {
		return
	}
	s.mu.Lock()
	delete(s.live, p)
	s.mu.Unlock()
	if p.exited() {
		return
	}
	family := processTree(p.pid(), allProcStats())
	_ = syscall.Kill(p.pid(), syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		for _, st := range family {
			_ = syscall.Kill(st.PID, syscall.SIGKILL)
		}
		select {
		case <-p.done:
		case <-time.After(3 * time.Second):
			fmt.Fprintf(os.Stderr, "warning: %s (pid %d) did not exit after SIGKILL\n", p.name, p.pid())
		}
	}
	// A worker outliving its master would keep the port and skew the
	// next block's CPU figures. The name check guards against a PID that
	// was reused in the meantime.
	for _, was := range family[min(1, len(family)):] {
		if st, err := readProcStat(was.PID); err == nil && st.Comm == was.Comm {
			_ = syscall.Kill(was.PID, syscall.SIGKILL)
		}
	}
}

func (s *supervisor) stopAll() {
	s.mu.Lock()
	var ps []*proc
	for p := range s.live {
		ps = append(ps, p)
	}
	s.mu.Unlock()
	for _, p := range ps {
		s.stop(p)
	}
}

// waitPort waits until something accepts connections on the loopback port,
// failing early if the process that should listen there has exited.
func waitPort(ctx context.Context, port int, p *proc, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for time.Now().Before(deadline) {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if p != nil && p.exited() {
			return fmt.Errorf("%s exited (%v) before listening on %s:\n%s", p.name, p.waitErr, addr, p.logTail())
		}
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	name := "process"
	if p != nil {
		name = p.name
	}
	return fmt.Errorf("%s is not listening on %s after %v", name, addr, timeout)
}

// pickPort finds a free loopback port below the kernel's ephemeral range,
// so that no outgoing connection of the load (which takes ephemeral ports)
// can occupy it between the moment it is picked and the moment a peer
// binds it, or bind the "dead" port the failover scenario relies on.
func pickPort(taken map[int]bool) (int, error) {
	lo := 32768
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if n, err := strconv.Atoi(f[0]); err == nil && n > 12000 {
				lo = n
			}
		}
	}
	for range 200 {
		port := 10000 + rand.IntN(lo-10000)
		if taken[port] {
			continue
		}
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue
		}
		ln.Close()
		taken[port] = true
		return port, nil
	}
	return 0, errors.New("no free loopback port found below the ephemeral range")
}
