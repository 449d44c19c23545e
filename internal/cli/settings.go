package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/spf13/pflag"
)

// Settings are the options of `busbar run`.
type Settings struct {
	HTTPPort      int
	HTTPBind      string
	HTTPSPort     int
	TLSCert       string
	TLSKey        string
	MgmtPort      int
	MgmtBind      string
	DataDir       string
	LogFormat     string
	LogLevel      string
	GlobalTimeout time.Duration
	MaxBody       string
	DrainTimeout  time.Duration
	Reload        time.Duration
	// Outbound connections (MI's passthru-http.properties).
	SocketTimeout   time.Duration
	ConnectTimeout  time.Duration
	MaxConnsPerHost int
	MaxQueued       int
	BodyTimeout     time.Duration
}

func (s *Settings) register(fs *pflag.FlagSet) {
	fs.IntVar(&s.HTTPPort, "http-port", 8290, "HTTP port for APIs and proxy services (0 picks a free port)")
	fs.StringVar(&s.HTTPBind, "http-bind", "", "address to bind the HTTP and HTTPS listeners to (default: all interfaces)")
	fs.IntVar(&s.HTTPSPort, "https-port", 8253, "HTTPS port; HTTPS is served only with --tls-cert and --tls-key")
	fs.StringVar(&s.TLSCert, "tls-cert", "", "PEM certificate for HTTPS")
	fs.StringVar(&s.TLSKey, "tls-key", "", "PEM private key for HTTPS")
	fs.IntVar(&s.MgmtPort, "mgmt-port", 9164, "management API port (-1 disables it)")
	fs.StringVar(&s.MgmtBind, "mgmt-bind", "127.0.0.1", "address the management API binds to")
	fs.StringVar(&s.DataDir, "data-dir", "./busbar-data", "directory for durable state")
	fs.StringVar(&s.LogFormat, "log-format", "text", "log format: text or json")
	fs.StringVar(&s.LogLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.DurationVar(&s.GlobalTimeout, "global-timeout", 120*time.Second, "timeout of endpoints that set none (synapse.global_timeout_interval)")
	fs.StringVar(&s.MaxBody, "max-body", "10MiB", "largest body Busbar reads into memory (larger requests get 413)")
	fs.DurationVar(&s.DrainTimeout, "drain-timeout", 30*time.Second, "how long shutdown waits for in-flight messages")
	fs.DurationVar(&s.Reload, "reload-interval", 2*time.Second, "how often the deployment folder is checked for changes (0 disables hot reload)")
	fs.DurationVar(&s.SocketTimeout, "socket-timeout", 180*time.Second, "how long a backend connection may make no progress (MI's http.socket.timeout)")
	fs.DurationVar(&s.ConnectTimeout, "connect-timeout", 30*time.Second, "how long connecting to a backend may take (101508 when exceeded)")
	fs.IntVar(&s.MaxConnsPerHost, "max-conns-per-host", 0, "exchanges in flight per backend; 0 means unlimited")
	fs.IntVar(&s.MaxQueued, "max-queued-per-host", -1, "requests that may wait for a connection when --max-conns-per-host is reached (-1 unlimited, 0 none); beyond it: 101504")
	fs.DurationVar(&s.BodyTimeout, "client-body-timeout", 180*time.Second, "how long a client may pause while sending a request body")
}

// applyDefaults fills every flag the user did not set from BUSBAR_* env
// vars, then from busbar.toml in the deployment folder: flags win, then
// the environment, then the file.
func applyDefaults(fs *pflag.FlagSet, deployment string) error {
	file, err := readTOML(deployment)
	if err != nil {
		return err
	}
	var errs []string
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Changed || f.Name == "help" {
			return
		}
		env := "BUSBAR_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(env); ok {
			if err := f.Value.Set(v); err != nil {
				errs = append(errs, fmt.Sprintf("%s=%q: %v", env, v, err))
			}
			return
		}
		for _, k := range []string{f.Name, strings.ReplaceAll(f.Name, "-", "_")} {
			if v, ok := file[k]; ok {
				if err := f.Value.Set(tomlString(v)); err != nil {
					errs = append(errs, fmt.Sprintf("busbar.toml %s = %v: %v", k, v, err))
				}
				return
			}
		}
	})
	if len(errs) > 0 {
		return fmt.Errorf("invalid settings:\n  %s", strings.Join(errs, "\n  "))
	}
	return nil
}

func readTOML(deployment string) (map[string]any, error) {
	dir := deployment
	if st, err := os.Stat(deployment); err == nil && !st.IsDir() {
		dir = filepath.Dir(deployment)
	}
	path := filepath.Join(dir, "busbar.toml")
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if _, err := toml.Decode(string(data), &m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

func tomlString(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case int64:
		return strconv.FormatInt(t, 10)
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(t)
	}
	return fmt.Sprint(v)
}

// parseSize reads sizes such as 10MiB, 512KiB, 1MB or a byte count.
func parseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	units := []struct {
		suffix string
		mult   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"B", 1}}
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			n, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), 64)
			if err != nil || n < 0 {
				return 0, fmt.Errorf("bad size %q", s)
			}
			return int64(n * float64(u.mult)), nil
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("bad size %q (use bytes or KiB/MiB/GiB)", s)
	}
	return n, nil
}
