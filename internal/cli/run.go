package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/busbar/busbar/internal/admin"
	"github.com/busbar/busbar/internal/compile"
	"github.com/busbar/busbar/internal/config"
	"github.com/busbar/busbar/internal/endpoint"
	"github.com/busbar/busbar/internal/engine"
	"github.com/busbar/busbar/internal/failed"
	"github.com/busbar/busbar/internal/observe"
	"github.com/busbar/busbar/internal/processor"
	"github.com/busbar/busbar/internal/registry"
	"github.com/busbar/busbar/internal/reload"
	"github.com/busbar/busbar/internal/transport/httpin"
	"github.com/busbar/busbar/internal/transport/httpout"
)

func newRun(stdout, stderr io.Writer) *cobra.Command {
	var s Settings
	cmd := &cobra.Command{
		Use:   "run [flags] [PATH]",
		Short: "Serve a deployment folder (MI layout) or a <definitions> file",
		Long: "run loads PATH (default ./deployment), compiles it, and serves its APIs and proxy services over HTTP\n" +
			"(and HTTPS with --tls-cert/--tls-key). Every flag can also be set as BUSBAR_<FLAG> in the environment\n" +
			"or in PATH/busbar.toml; flags win over the environment, which wins over the file. SIGTERM or SIGINT\n" +
			"stops accepting, drains in-flight messages (up to --drain-timeout) and exits 0. The garbage collector\n" +
			"runs as with GOGC=200 unless GOGC is set in the environment (see docs/performance.md).",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := deploymentArg(args)
			if err := exists(path); err != nil {
				return err
			}
			if err := applyDefaults(cmd.Flags(), path); err != nil {
				return exitCode{code: exitUsage, msg: "busbar: " + err.Error()}
			}
			ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
			defer stop()
			return serve(ctx, s, path, stderr)
		},
	}
	s.register(cmd.Flags())
	return cmd
}

// defaultGCPercent is the collector's target when GOGC is not set. Busbar's
// live heap is small (a few MiB at idle: the graph, pools, connections) and
// nearly everything a request allocates is garbage once it is answered, so
// at Go's default of 100 the collector runs a dozen times a second under
// load. 200 halves that work (about 1% of the CPU of a pass-through
// request) for a heap goal of three times the live heap instead of two;
// 400 saves a little more CPU but doubled the peak RSS under load in the
// benchmark (docs/performance.md), which is why it is not the default.
// GOGC and GOMEMLIMIT, when set, are the user's choice.
const defaultGCPercent = 200

// tuneGC applies defaultGCPercent unless the user chose GOGC.
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
}

// serve runs Busbar until ctx is cancelled, then drains and stops.
func serve(ctx context.Context, s Settings, path string, stderr io.Writer) error {
	start := time.Now()
	tuneGC(os.Getenv)
	log, err := observe.NewLogger(stderr, s.LogFormat, s.LogLevel)
	if err != nil {
		return exitCode{code: exitUsage, msg: "busbar: " + err.Error()}
	}
	maxBody, err := parseSize(s.MaxBody)
	if err != nil {
		return exitCode{code: exitUsage, msg: "busbar: --max-body: " + err.Error()}
	}
	if err := os.MkdirAll(s.DataDir, 0o755); err != nil {
		return exitCode{code: exitUsage, msg: fmt.Sprintf("busbar: cannot create --data-dir %s: %v", s.DataDir, err)}
	}
	out := httpout.New(httpout.Options{SocketTimeout: s.SocketTimeout, DialTimeout: s.ConnectTimeout,
		MaxConnsPerHost: s.MaxConnsPerHost, MaxQueuedPerHost: s.MaxQueued})
	defer out.Close()
	endpoint.SetClient(out)

	rt := engine.NewRuntime()
	fem, err := failed.Open(filepath.Join(s.DataDir, "failed.db"))
	if err != nil {
		return exitCode{code: exitUsage, msg: "busbar: " + err.Error()}
	}
	defer fem.Close()
	failed.Use(rt, fem)
	processor.SetLogger(rt, log)
	opts := engine.Options{MaxBodyBytes: maxBody, GlobalTimeoutMS: s.GlobalTimeout.Milliseconds(), Runtime: rt, DataDir: s.DataDir}
	srv := httpin.New(httpin.Options{Log: log, BodyTimeout: s.BodyTimeout})
	watcher := &reload.Watcher{Path: path, Interval: s.Reload, Registry: registry.Default, Options: opts, Target: srv, Log: log}
	watcher.Prime()
	g, diags := compile.Load(path, registry.Default, opts)
	for _, d := range diags.List {
		if d.Severity == config.SevError {
			log.Error("configuration error", "error", d.String())
		} else {
			log.Warn("configuration warning", "warning", d.String())
		}
	}
	if g == nil {
		return exitCode{code: exitInvalid, msg: fmt.Sprintf("busbar: %s has %d configuration errors; not starting", path, len(diags.Errors()))}
	}
	srv.Swap(g)
	g.Start()

	var wg sync.WaitGroup
	errc := make(chan error, 4)
	listeners, err := listen(s, log)
	if err != nil {
		_ = g.Close()
		return exitCode{code: exitUsage, msg: "busbar: " + err.Error()}
	}
	for _, l := range listeners {
		wg.Go(func() {
			var err error
			if l.tls {
				err = srv.ServeTLS(l.ln, s.TLSCert, s.TLSKey)
			} else {
				err = srv.Serve(l.ln)
			}
			if err != nil {
				errc <- fmt.Errorf("%s listener: %w", l.name, err)
			}
		})
	}
	mgmt, err := startAdmin(s, srv, log, &wg, errc)
	if err != nil {
		_ = srv.Shutdown(context.Background())
		_ = g.Close()
		return exitCode{code: exitUsage, msg: "busbar: " + err.Error()}
	}
	reloadCtx, stopReload := context.WithCancel(ctx)
	if s.Reload > 0 {
		wg.Go(func() { watcher.Run(reloadCtx) })
	}
	attrs := []any{"deployment", path, "apis", len(g.APIs), "proxies", len(g.Proxies), "sequences", len(g.Sequences), "endpoints", len(g.Endpoints), "startup", time.Since(start).String()}
	for _, l := range listeners {
		attrs = append(attrs, l.name, l.ln.Addr().String())
	}
	if mgmt != nil {
		attrs = append(attrs, "management", mgmt.addr, "management_token", mgmt.tokenFrom)
	}
	log.Info("busbar started", attrs...)

	var runErr error
	select {
	case <-ctx.Done():
		log.Info("shutting down: draining in-flight messages", "timeout", s.DrainTimeout.String())
	case runErr = <-errc:
		log.Error("listener failed; shutting down", "error", runErr)
	}
	stopReload()
	drainCtx, cancel := context.WithTimeout(context.Background(), s.DrainTimeout)
	defer cancel()
	if err := srv.Shutdown(drainCtx); err != nil {
		log.Warn("drain timed out; some messages were cut off", "error", err)
	}
	if mgmt != nil {
		_ = mgmt.srv.Shutdown(drainCtx)
	}
	wg.Wait()
	if g := srv.Swap(nil); g != nil {
		_ = g.Close()
	}
	log.Info("busbar stopped")
	if runErr != nil {
		return exitCode{code: exitInvalid, msg: "busbar: " + runErr.Error()}
	}
	return nil
}

type listener struct {
	name string
	ln   net.Listener
	tls  bool
}

func listen(s Settings, log *slog.Logger) ([]listener, error) {
	var out []listener
	ln, err := net.Listen("tcp", net.JoinHostPort(s.HTTPBind, strconv.Itoa(s.HTTPPort)))
	if err != nil {
		return nil, fmt.Errorf("cannot listen for HTTP on port %d: %w", s.HTTPPort, err)
	}
	out = append(out, listener{name: "http", ln: ln})
	if (s.TLSCert == "") != (s.TLSKey == "") {
		ln.Close()
		return nil, errors.New("HTTPS needs both --tls-cert and --tls-key")
	}
	if s.TLSCert != "" {
		tl, err := net.Listen("tcp", net.JoinHostPort(s.HTTPBind, strconv.Itoa(s.HTTPSPort)))
		if err != nil {
			ln.Close()
			return nil, fmt.Errorf("cannot listen for HTTPS on port %d: %w", s.HTTPSPort, err)
		}
		out = append(out, listener{name: "https", ln: tl, tls: true})
	}
	return out, nil
}

type adminServer struct {
	srv  *http.Server
	addr string
	// tokenFrom says where the token came from (the variable's name or the
	// file's path); the token itself is never logged.
	tokenFrom string
}

// startAdmin resolves the management token (BUSBAR_ADMIN_TOKEN, else
// <data-dir>/admin.token, created on first start) and serves the
// management API on --mgmt-bind:--mgmt-port.
func startAdmin(s Settings, src admin.GraphSource, log *slog.Logger, wg *sync.WaitGroup, errc chan<- error) (*adminServer, error) {
	if s.MgmtPort < 0 {
		return nil, nil
	}
	token, from, err := admin.ResolveToken(os.Getenv(admin.TokenEnv), s.DataDir)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(s.MgmtBind, strconv.Itoa(s.MgmtPort)))
	if err != nil {
		return nil, fmt.Errorf("cannot listen for the management API on %s:%d: %w", s.MgmtBind, s.MgmtPort, err)
	}
	if !loopback(s.MgmtBind) {
		log.Warn("the management API listens beyond loopback; protect the token and the network path", "bind", s.MgmtBind)
	}
	h := admin.Handler(src, admin.Options{Token: token, Log: log})
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	wg.Go(func() {
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("management listener: %w", err)
		}
	})
	return &adminServer{srv: hs, addr: ln.Addr().String(), tokenFrom: from}, nil
}

func loopback(host string) bool {
	ip := net.ParseIP(host)
	return host == "localhost" || (ip != nil && ip.IsLoopback())
}
