package testkit

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Real services on this machine's loopback, as tests use them.
const (
	PostgresDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	RabbitMQURL = "amqp://guest:guest@127.0.0.1:5672/"
	NATSURL     = "nats://127.0.0.1:4222"
)

var serviceAddrs = map[string]string{"postgres": "127.0.0.1:5432", "rabbitmq": "127.0.0.1:5672", "nats": "127.0.0.1:4222"}

// Service makes a test use a real service (postgres, rabbitmq, nats): it
// checks the service answers and holds a shared lock on it for the test,
// so that tests which restart the service (ExclusiveService) do not pull it
// from under others, even across test binaries. With CI=true an absent
// service fails the test; otherwise the test is skipped with a loud
// message.
func Service(t testing.TB, name string) {
	t.Helper()
	requireService(t, name)
	lockService(t, name, syscall.LOCK_SH)
}

// ExclusiveService is Service for a test that stops or restarts the
// service: it waits until no other test uses it.
func ExclusiveService(t testing.TB, name string) {
	t.Helper()
	requireService(t, name)
	lockService(t, name, syscall.LOCK_EX)
}

func requireService(t testing.TB, name string) {
	t.Helper()
	addr, ok := serviceAddrs[name]
	if !ok {
		t.Fatalf("unknown service %q", name)
	}
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err == nil {
		c.Close()
		return
	}
	msg := fmt.Sprintf("%s is not reachable at %s (%v)", name, addr, err)
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s, and CI=true requires it", msg)
	}
	t.Skipf("\n\n*** SKIPPED: %s. Start it (see README, Real services) to run this test. ***\n", msg)
}

var lockDir = sync.OnceValue(func() string {
	d := filepath.Join(os.TempDir(), "busbar-test-locks")
	_ = os.MkdirAll(d, 0o777)
	return d
})

func lockService(t testing.TB, name string, how int) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(lockDir(), name+".lock"), os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		t.Fatalf("service lock: %v", err)
	}
	if err := syscall.Flock(int(f.Fd()), how); err != nil {
		f.Close()
		t.Fatalf("service lock: %v", err)
	}
	t.Cleanup(func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	})
}

// StopService stops a real service (postgres, rabbitmq) for a test that
// holds it with ExclusiveService; the test's cleanup starts it again even
// if the test fails.
func StopService(t testing.TB, name string) {
	t.Helper()
	t.Cleanup(func() {
		if err := serviceCtl(name, "start"); err != nil {
			t.Errorf("starting %s again: %v", name, err)
		}
	})
	if err := serviceCtl(name, "stop"); err != nil {
		t.Fatalf("stopping %s: %v", name, err)
	}
}

// StartService starts a service stopped by StopService.
func StartService(t testing.TB, name string) {
	t.Helper()
	if err := serviceCtl(name, "start"); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", serviceAddrs[name], time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not come back: %v", name, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func serviceCtl(name, action string) error {
	var cmd *exec.Cmd
	switch name {
	case "postgres":
		versions, err := os.ReadDir("/etc/postgresql")
		if err != nil || len(versions) == 0 {
			return fmt.Errorf("no PostgreSQL cluster in /etc/postgresql: %v", err)
		}
		cmd = exec.Command("pg_ctlcluster", "--skip-systemctl-redirect", versions[0].Name(), "main", action)
	case "rabbitmq":
		cmd = exec.Command("rabbitmqctl", action+"_app")
	default:
		return fmt.Errorf("cannot %s %s", action, name)
	}
	out, err := cmd.CombinedOutput()
	if err != nil && !strings.Contains(string(out), "already running") {
		return fmt.Errorf("%s: %v: %s", cmd, err, out)
	}
	return nil
}
