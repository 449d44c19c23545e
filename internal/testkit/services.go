package testkit

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
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
