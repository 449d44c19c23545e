// Command storeforward is the store-and-forward load run: it starts a
// counting backend and a Busbar (the binary given by -busbar, or built from
// this checkout) on loopback, sends a bounded number of 1 KiB messages to
// an API that stores them in the embedded durable store (202 once the
// message is on disk), and measures how fast messages are accepted and how
// fast the forwarding processor delivers them. Everything it starts it
// stops by PID; every loop is bounded in count and time.
//
//	go run ./bench/storeforward -n 20000 -c 32
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	n := flag.Int("n", 20000, "messages to send")
	conc := flag.Int("c", 32, "concurrent senders")
	size := flag.Int("size", 1024, "message size in bytes")
	members := flag.Int("members", 1, "processor member.count (parallel deliveries)")
	limit := flag.Duration("timeout", 5*time.Minute, "bound on the whole run")
	bin := flag.String("busbar", "", "busbar binary (default: go build ./cmd/busbar)")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), *limit)
	defer cancel()
	if err := run(ctx, *n, *conc, *size, *members, *bin); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, n, conc, size, members int, bin string) error {
	work, err := os.MkdirTemp("", "busbar-storeforward")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	if bin == "" {
		bin = filepath.Join(work, "busbar")
		if out, err := exec.Command("go", "build", "-o", bin, "./cmd/busbar").CombinedOutput(); err != nil {
			return fmt.Errorf("go build: %v\n%s", err, out)
		}
	}
	var delivered atomic.Int64
	var lastDelivery atomic.Int64
	backend := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		delivered.Add(1)
		lastDelivery.Store(time.Now().UnixNano())
		w.WriteHeader(200)
	})}
	bln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go func() { _ = backend.Serve(bln) }()
	defer backend.Close()

	port, err := freePort()
	if err != nil {
		return err
	}
	if err := writeDeployment(filepath.Join(work, "deploy"), bln.Addr().String(), members); err != nil {
		return err
	}
	cmd := exec.Command(bin, "run", "--http-port", fmt.Sprint(port), "--http-bind", "127.0.0.1", "--mgmt-port", "-1",
		"--data-dir", filepath.Join(work, "data"), "--log-level", "warn", "--reload-interval", "0", filepath.Join(work, "deploy"))
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	url := fmt.Sprintf("http://127.0.0.1:%d/q", port)
	if err := waitUp(ctx, url); err != nil {
		return err
	}

	body := bytes.Repeat([]byte("x"), size)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conc}}
	var accepted, refused atomic.Int64
	var next atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for range conc {
		wg.Go(func() {
			for next.Add(1) <= int64(n) && ctx.Err() == nil {
				resp, err := client.Post(url, "application/octet-stream", bytes.NewReader(body))
				if err != nil {
					refused.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == 202 {
					accepted.Add(1)
				} else {
					refused.Add(1)
				}
			}
		})
	}
	wg.Wait()
	acceptTime := time.Since(start)
	for delivered.Load() < accepted.Load() && ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
	}
	deliverTime := time.Duration(lastDelivery.Load() - start.UnixNano())
	fmt.Printf("store-and-forward, embedded store, %d-byte messages, %d senders, member.count=%d\n", size, conc, members)
	fmt.Printf("accepted  %d (refused %d) in %v: %.0f msgs/s\n", accepted.Load(), refused.Load(), acceptTime.Round(time.Millisecond), float64(accepted.Load())/acceptTime.Seconds())
	fmt.Printf("delivered %d in %v: %.0f msgs/s\n", delivered.Load(), deliverTime.Round(time.Millisecond), float64(delivered.Load())/deliverTime.Seconds())
	if delivered.Load() < accepted.Load() {
		return errors.New("run timed out before every accepted message was delivered")
	}
	return nil
}

func writeDeployment(dir, backend string, members int) error {
	files := map[string]string{
		"api/Q.xml": `<api xmlns="http://ws.apache.org/ns/synapse" name="Q" context="/q"><resource methods="POST"><inSequence>
  <property name="FORCE_SC_ACCEPTED" value="true" scope="axis2"/><property name="OUT_ONLY" value="true"/>
  <store messageStore="Orders"/></inSequence></resource></api>`,
		"message-stores/Orders.xml": `<messageStore xmlns="http://ws.apache.org/ns/synapse" name="Orders" class="busbar.EmbeddedStore"/>`,
		"endpoints/Backend.xml":     fmt.Sprintf(`<endpoint xmlns="http://ws.apache.org/ns/synapse" name="Backend"><address uri="http://%s/orders"/></endpoint>`, backend),
		"message-processors/Forward.xml": fmt.Sprintf(`<messageProcessor xmlns="http://ws.apache.org/ns/synapse" name="Forward"
  class="org.apache.synapse.message.processor.impl.forwarder.ScheduledMessageForwardingProcessor" messageStore="Orders" targetEndpoint="Backend">
  <parameter name="interval">1</parameter><parameter name="member.count">%d</parameter><parameter name="max.delivery.attempts">10</parameter>
</messageProcessor>`, members),
	}
	for rel, data := range files {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func waitUp(ctx context.Context, url string) error {
	base := strings.TrimSuffix(url, "/q")
	for ctx.Err() == nil {
		if resp, err := http.Get(base + "/nothing"); err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return ctx.Err()
}
