package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/busbar/busbar/internal/admin"
	"github.com/busbar/busbar/internal/endpoint"
)

// ctlOptions are the flags every ctl command shares.
type ctlOptions struct {
	url     string
	token   string
	dataDir string
	json    bool
	out     io.Writer
	// client, when set, replaces ctlClient (a bulk resubmission may take
	// longer than one call should).
	client *http.Client
}

func newCtl(stdout io.Writer) *cobra.Command {
	o := &ctlOptions{out: stdout}
	cmd := &cobra.Command{
		Use:   "ctl",
		Short: "Manage a running Busbar through its management API",
		Long: "ctl talks to the management API of a running busbar (as WSO2's mi CLI does). The token is --token, else\n" +
			"BUSBAR_ADMIN_TOKEN, else the admin.token file in --data-dir, which busbar run writes at first start.\n" +
			"Exit status: 0 ok, 1 the API refused or failed, 2 usage.",
		// NoArgs with a RunE makes an unknown subcommand a usage error
		// instead of a silent help page.
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	f := cmd.PersistentFlags()
	f.StringVar(&o.url, "url", "http://127.0.0.1:9164", "base URL of the management API")
	f.StringVar(&o.token, "token", "", "bearer token (default: $BUSBAR_ADMIN_TOKEN, else <data-dir>/admin.token)")
	f.StringVar(&o.dataDir, "data-dir", "./busbar-data", "the server's --data-dir, to read admin.token from")
	f.BoolVar(&o.json, "json", false, "print the API's JSON answer as is")
	cmd.AddCommand(newCtlEndpoints(o), newCtlProcessors(o), newCtlStores(o), newCtlFailed(o))
	return cmd
}

func newCtlEndpoints(o *ctlOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "endpoints [NAME]",
		Short: "List endpoints with their state, or show one in detail",
		Long: "endpoints lists every named endpoint with its kind and state (ACTIVE, TIMEOUT, SUSPENDED, OFF); with NAME\n" +
			"it shows that endpoint's counters, recent transitions, suspension settings and configuration.",
		Args: cobra.MaximumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			if len(args) == 1 {
				return o.showEndpoint(args[0])
			}
			return o.listEndpoints()
		},
	}
	cmd.AddCommand(newCtlSwitch(o, "activate", "active", "Switch an endpoint on (ACTIVE, counters reset)"),
		newCtlSwitch(o, "deactivate", "inactive", "Switch an endpoint off (OFF until activated)"))
	return cmd
}

func newCtlSwitch(o *ctlOptions, verb, status, short string) *cobra.Command {
	return &cobra.Command{
		Use:   verb + " NAME",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			return o.switchEndpoint(args[0], status)
		},
	}
}

func (o *ctlOptions) listEndpoints() error {
	var l admin.EndpointList
	if ok, err := o.fetch(http.MethodGet, "/management/endpoints", nil, "", &l); !ok {
		return err
	}
	if l.Count == 0 {
		fmt.Fprintln(o.out, "no endpoints")
		return nil
	}
	tw := table(o.out, "NAME\tTYPE\tSTATE\tACTIVE")
	for _, e := range l.List {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%t\n", e.Name, e.Type, e.State, e.IsActive)
	}
	return tw.Flush()
}

func (o *ctlOptions) showEndpoint(name string) error {
	path := "/management/endpoints?endpointName=" + url.QueryEscape(name)
	var v admin.EndpointView
	if ok, err := o.fetch(http.MethodGet, path, nil, "endpoint "+name+" does not exist", &v); !ok {
		return err
	}
	printEndpoint(o.out, v)
	return nil
}

func (o *ctlOptions) switchEndpoint(name, status string) error {
	req := admin.SwitchRequest{Name: name, Status: status}
	var m admin.Message
	if ok, err := o.fetch(http.MethodPost, "/management/endpoints", req, "endpoint "+name+" does not exist", &m); !ok {
		return err
	}
	fmt.Fprintln(o.out, m.Message)
	return nil
}

// raw prints an answer unchanged (--json), or passes the error on.
func (o *ctlOptions) raw(body []byte, err error) error {
	if err != nil {
		return err
	}
	_, err = o.out.Write(body)
	return err
}

// fetch calls the management API and decodes its answer into into. It
// reports false when the caller has nothing more to do: the call failed
// (err says why) or --json printed the answer as it came (err is nil).
func (o *ctlOptions) fetch(method, path string, body any, notFound string, into any) (bool, error) {
	answer, err := o.call(method, path, body, notFound)
	if err != nil || o.json {
		return false, o.raw(answer, err)
	}
	if err := decodeAnswer(answer, into); err != nil {
		return false, err
	}
	return true, nil
}

// table starts an aligned listing with its header line.
func table(w io.Writer, header string) *tabwriter.Writer {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if header != "" {
		fmt.Fprintln(tw, header)
	}
	return tw
}

func decodeAnswer(body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		return exitCode{code: exitInvalid, msg: "busbar: the management API answered something that is not its JSON: " + err.Error()}
	}
	return nil
}

func printEndpoint(w io.Writer, v admin.EndpointView) {
	tw := table(w, "")
	row := func(k, v string) { fmt.Fprintf(tw, "%s:\t%s\n", k, v) }
	row("Name", v.Name)
	row("Type", v.Type)
	row("State", v.State)
	row("Active", strconv.FormatBool(v.IsActive))
	if v.RemainingRetries != nil {
		row("Remaining retries", strconv.Itoa(*v.RemainingRetries))
	}
	if v.NextRetryTime != "" {
		row("Next retry", v.NextRetryTime)
	}
	if v.LastSuspendDuration != nil && *v.LastSuspendDuration >= 0 {
		row("Last suspension", fmt.Sprintf("%d ms", *v.LastSuspendDuration))
	}
	if a := v.Advanced; a != nil {
		row("Suspend on", suspendLine(a.SuspendState))
		row("Mark for suspension on", timeoutLine(a.TimeoutState))
	}
	_ = tw.Flush()
	printTransitions(w, v.Transitions)
	if v.Configuration != "" {
		fmt.Fprintf(w, "Configuration:\n  %s\n", strings.ReplaceAll(v.Configuration, "\n", "\n  "))
	}
}

func suspendLine(s admin.SuspendState) string {
	initial, maxDur := "30000 ms (default)", "no maximum"
	if s.InitialDuration >= 0 {
		initial = fmt.Sprintf("%d ms", s.InitialDuration)
	}
	if s.MaxDuration != math.MaxInt64 {
		maxDur = fmt.Sprintf("at most %d ms", s.MaxDuration)
	}
	return fmt.Sprintf("%s; first %s, factor %g, %s", codeList(s.ErrorCodes, "any error code"), initial, s.ProgressionFactor, maxDur)
}

func timeoutLine(t admin.TimeoutState) string {
	return fmt.Sprintf("%s; retries before suspension %d, retry delay %d ms", codeList(t.ErrorCodes, "101504, 101505 (default)"), t.Reties, t.RetryDelay)
}

func codeList(codes []int, empty string) string {
	if len(codes) == 0 {
		return empty
	}
	s := make([]string, len(codes))
	for i, c := range codes {
		s[i] = strconv.Itoa(c)
	}
	return strings.Join(s, ", ")
}

func printTransitions(w io.Writer, trs []endpoint.Transition) {
	if len(trs) == 0 {
		return
	}
	fmt.Fprintln(w, "Transitions:")
	tw := table(w, "")
	for _, t := range trs {
		fmt.Fprintf(tw, "  %s\t%s -> %s\t%s\t%s\n", t.At.UTC().Format(time.RFC3339), t.From, t.To, t.Code, t.Reason)
	}
	_ = tw.Flush()
}

// call sends one request and returns the body of a 2xx answer. Failures
// become exit status 1 with a message that says what to do; notFound, when
// set, replaces the API's 404 message.
func (o *ctlOptions) call(method, path string, body any, notFound string) ([]byte, error) {
	token, from, err := o.resolveToken()
	if err != nil {
		return nil, err
	}
	req, err := o.request(method, path, body, token)
	if err != nil {
		return nil, err
	}
	client := ctlClient
	if o.client != nil {
		client = o.client
	}
	resp, err := client.Do(req)
	if err != nil {
		// The URL is in the message already; keep only the cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, exitCode{code: exitInvalid, msg: fmt.Sprintf("busbar: cannot reach the management API at %s: %v (is busbar running, and is --url right?)", o.url, err)}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, exitCode{code: exitInvalid, msg: "busbar: reading the management API's answer: " + err.Error()}
	}
	if resp.StatusCode/100 != 2 {
		return nil, answerError(resp.StatusCode, data, from, notFound)
	}
	return data, nil
}

// ctlClient bounds every call: the management API answers from memory.
var ctlClient = &http.Client{Timeout: 30 * time.Second}

func (o *ctlOptions) request(method, path string, body any, token string) (*http.Request, error) {
	base, err := url.Parse(strings.TrimRight(o.url, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, exitCode{code: exitUsage, msg: fmt.Sprintf("busbar: --url %q is not an http(s) URL such as http://127.0.0.1:9164", o.url)}
	}
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, base.String()+path, r)
	if err != nil {
		return nil, exitCode{code: exitUsage, msg: "busbar: " + err.Error()}
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

func answerError(status int, data []byte, tokenFrom, notFound string) error {
	var e admin.Error
	msg := strings.TrimSpace(string(data))
	if json.Unmarshal(data, &e) == nil && e.Error != "" {
		msg = e.Error
	}
	switch {
	case status == http.StatusUnauthorized:
		msg = fmt.Sprintf("the management API refused the token from %s (401); use the server's token: --token, %s, or --data-dir pointing at the server's data directory", tokenFrom, admin.TokenEnv)
	case status == http.StatusNotFound && notFound != "":
		msg = notFound
	default:
		msg = fmt.Sprintf("the management API answered %d %s: %s", status, http.StatusText(status), msg)
	}
	return exitCode{code: exitInvalid, msg: "busbar: " + msg}
}

// resolveToken picks --token, else BUSBAR_ADMIN_TOKEN, else the data
// directory's admin.token; from names the source for error messages.
func (o *ctlOptions) resolveToken() (token, from string, err error) {
	if o.token != "" {
		return o.token, "--token", nil
	}
	if env := strings.TrimSpace(os.Getenv(admin.TokenEnv)); env != "" {
		return env, admin.TokenEnv, nil
	}
	path := filepath.Join(o.dataDir, admin.TokenFile)
	token, err = admin.ReadToken(path)
	if err != nil {
		return "", "", exitCode{code: exitUsage, msg: fmt.Sprintf("busbar: no management token: pass --token, set %s, or point --data-dir at the server's data directory (%v)", admin.TokenEnv, err)}
	}
	return token, path, nil
}
