package cli

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/busbar/busbar/internal/admin"
	"github.com/busbar/busbar/internal/failed"
)

// failedFilters are the flags that select failed messages.
type failedFilters struct {
	q     admin.FailedQuery
	since time.Duration
	all   bool
	force bool
}

func (f *failedFilters) register(cmd *cobra.Command, withAll bool) {
	fs := cmd.Flags()
	fs.StringVar(&f.q.Artifact, "artifact", "", "the artifact or processor the message failed in (exact name, any case)")
	fs.StringVar(&f.q.Endpoint, "endpoint", "", "the endpoint the message failed at (exact name, any case)")
	fs.StringVar(&f.q.ErrorCode, "code", "", "the error code (ERROR_CODE), e.g. 101503")
	fs.StringVar(&f.q.Status, "status", "", "failed or resubmitted")
	fs.StringVar(&f.q.Text, "text", "", "text in the error message, detail, failInfo or body (any case)")
	fs.DurationVar(&f.since, "since", 0, "failed within this long, e.g. 1h (instead of --from)")
	fs.StringVar(&f.q.From, "from", "", "failed at or after this RFC 3339 time")
	fs.StringVar(&f.q.To, "to", "", "failed at or before this RFC 3339 time")
	if withAll {
		fs.BoolVar(&f.all, "all", false, "every failed message (when no filter is given)")
	}
}

// query returns the selection; --since becomes a from time.
func (f *failedFilters) query() (admin.FailedQuery, error) {
	q := f.q
	if f.since != 0 {
		if q.From != "" {
			return q, ctlUsage("give --since or --from, not both")
		}
		q.From = time.Now().Add(-f.since).UTC().Format(time.RFC3339)
	}
	return q, nil
}

func ctlUsage(format string, args ...any) error {
	return exitCode{code: exitUsage, msg: "busbar: " + fmt.Sprintf(format, args...)}
}

func failedValues(q admin.FailedQuery) url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"artifact": q.Artifact, "endpoint": q.Endpoint, "errorCode": q.ErrorCode,
		"status": q.Status, "text": q.Text, "from": q.From, "to": q.To} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v
}

func newCtlFailed(o *ctlOptions) *cobra.Command {
	f := &failedFilters{}
	var limit int
	cmd := &cobra.Command{
		Use:   "failed",
		Short: "Search, show, edit, resubmit and delete failed messages",
		Long: "failed lists the failed-message store, most recent failure first. Its subcommands show one message in\n" +
			"full, edit its body and headers, resubmit it to the processor it failed in, or delete it.",
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			q, err := f.query()
			if err != nil {
				return err
			}
			v := failedValues(q)
			v.Set("limit", strconv.Itoa(limit))
			return o.listFailed(v)
		},
	}
	f.register(cmd, false)
	cmd.Flags().IntVar(&limit, "limit", 100, "at most this many; 0 lists all")
	cmd.AddCommand(newCtlFailedShow(o), newCtlFailedEdit(o), newCtlFailedResubmit(o), newCtlFailedDelete(o))
	return cmd
}

func (o *ctlOptions) listFailed(v url.Values) error {
	path := "/management/failed-messages"
	if len(v) > 0 {
		path += "?" + v.Encode()
	}
	var l admin.FailedList
	if ok, err := o.fetch(http.MethodGet, path, nil, "", &l); !ok {
		return err
	}
	if l.Total == 0 {
		fmt.Fprintln(o.out, "no failed messages")
		return nil
	}
	tw := table(o.out, "ID\tLAST FAILED\tSTATUS\tARTIFACT\tENDPOINT\tCODE\tATTEMPTS\tERROR")
	for _, m := range l.List {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", m.ID, m.LastFailed.UTC().Format(time.RFC3339), m.Status,
			m.Artifact, m.Endpoint, m.ErrorCode, m.Attempts, clipLine(m.ErrorMessage, 60))
	}
	_ = tw.Flush()
	if l.Count < l.Total {
		fmt.Fprintf(o.out, "(%d of %d; use --limit 0 for all)\n", l.Count, l.Total)
	}
	return nil
}

// clip keeps a table row on one line.
func clipLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// failedPath is the resource of one failed message. IDs such as
// urn:uuid:... are escaped as one path segment, so that any character
// (even "/") survives the trip.
func failedPath(id string) string {
	return "/management/failed-messages/" + url.PathEscape(id)
}

func newCtlFailedShow(o *ctlOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "show ID",
		Short: "Show one failed message: its error, attempts, headers, properties and body",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			var r failed.Record
			if ok, err := o.fetch(http.MethodGet, failedPath(args[0]), nil, "failed message "+args[0]+" does not exist", &r); !ok {
				return err
			}
			printFailed(o.out, &r)
			return nil
		},
	}
}

func printFailed(w io.Writer, r *failed.Record) {
	tw := table(w, "")
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(tw, "%s:\t%s\n", k, v)
		}
	}
	row("ID", r.ID)
	row("Status", r.Status)
	row("Artifact", r.Artifact)
	row("Processor", r.Processor)
	row("Store", r.Store)
	row("Endpoint", r.Endpoint)
	row("Step", r.Step)
	row("Sequence", r.Sequence)
	row("Error code", r.Code)
	row("Error message", r.Error)
	row("Error detail", r.Detail)
	row("First failed", r.FirstFailed.UTC().Format(time.RFC3339Nano))
	row("Last failed", r.LastFailed.UTC().Format(time.RFC3339Nano))
	row("Resubmits", strconv.Itoa(r.Resubmits))
	if m := r.Message; m != nil {
		row("Request", strings.TrimSpace(m.Method+" "+m.RequestURI))
		row("To", m.To)
		row("Content type", m.ContentType)
	}
	_ = tw.Flush()
	if r.FailInfo != "" {
		fmt.Fprintf(w, "Fail info:\n  %s\n", strings.ReplaceAll(r.FailInfo, "\n", "\n  "))
	}
	printAttempts(w, r.Attempts)
	if m := r.Message; m != nil {
		printMap(w, "Headers", joinedHeaders(m.Header))
		printMap(w, "Properties", m.Props)
	}
	fmt.Fprintf(w, "Body:\n%s\n", r.Body)
}

func printAttempts(w io.Writer, as []failed.Attempt) {
	if len(as) == 0 {
		return
	}
	fmt.Fprintln(w, "Attempts:")
	tw := table(w, "")
	for _, a := range as {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", a.At.UTC().Format(time.RFC3339), a.Code, a.Message)
	}
	_ = tw.Flush()
}

func joinedHeaders(h http.Header) map[string]string {
	out := make(map[string]string, len(h))
	for k, vs := range h {
		out[k] = strings.Join(vs, ", ")
	}
	return out
}

// editFlags are the changes ctl failed edit sends.
type editFlags struct {
	bodyFile, contentType                string
	headers, delHeaders, props, delProps []string
}

func newCtlFailedEdit(o *ctlOptions) *cobra.Command {
	e := &editFlags{}
	cmd := &cobra.Command{
		Use:   "edit ID",
		Short: "Change a failed message's body, content type, headers or properties before resubmitting it",
		Long: "edit changes a failed message (status failed only). --body-file replaces the body with a file's content\n" +
			"(\"-\" reads standard input); --header K=V sets a header, --remove-header K removes one; --property and\n" +
			"--remove-property do the same for default-scope properties.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req, err := e.request(cmd.InOrStdin())
			if err != nil {
				return err
			}
			body, err := o.call(http.MethodPatch, failedPath(args[0]), req, "failed message "+args[0]+" does not exist")
			if err != nil || o.json {
				return o.raw(body, err)
			}
			fmt.Fprintf(o.out, "Failed message %s edited\n", args[0])
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&e.bodyFile, "body-file", "", `file with the new body ("-": standard input)`)
	fs.StringVar(&e.contentType, "content-type", "", "new content type of the body")
	fs.StringArrayVar(&e.headers, "header", nil, "set a header, K=V (repeatable)")
	fs.StringArrayVar(&e.delHeaders, "remove-header", nil, "remove a header (repeatable)")
	fs.StringArrayVar(&e.props, "property", nil, "set a property, K=V (repeatable)")
	fs.StringArrayVar(&e.delProps, "remove-property", nil, "remove a property (repeatable)")
	return cmd
}

func (e *editFlags) request(stdin io.Reader) (admin.EditRequest, error) {
	var req admin.EditRequest
	if e.bodyFile != "" {
		b, err := readBodyFile(e.bodyFile, stdin)
		if err != nil {
			return req, err
		}
		s := string(b)
		req.Body = &s
	}
	if e.contentType != "" {
		req.ContentType = &e.contentType
	}
	var err error
	if req.Headers, err = edits("header", e.headers, e.delHeaders); err != nil {
		return req, err
	}
	if req.Properties, err = edits("property", e.props, e.delProps); err != nil {
		return req, err
	}
	if req.Body == nil && req.ContentType == nil && req.Headers == nil && req.Properties == nil {
		return req, ctlUsage("nothing to change: give --body-file, --content-type, --header, --remove-header, --property or --remove-property")
	}
	return req, nil
}

func readBodyFile(path string, stdin io.Reader) ([]byte, error) {
	var b []byte
	var err error
	if path == "-" {
		b, err = io.ReadAll(stdin)
	} else {
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, ctlUsage("cannot read the new body: %v", err)
	}
	return b, nil
}

// edits turns K=V settings and K removals into the API's map (null
// removes).
func edits(what string, set, remove []string) (map[string]*string, error) {
	if len(set) == 0 && len(remove) == 0 {
		return nil, nil
	}
	out := map[string]*string{}
	for _, kv := range set {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, ctlUsage("--%s %q is not K=V", what, kv)
		}
		out[k] = &v
	}
	for _, k := range remove {
		out[k] = nil
	}
	return out, nil
}

// ctlBulkClient allows for a resubmission of many messages, each bounded
// by the server.
var ctlBulkClient = &http.Client{Timeout: 10 * time.Minute}

func newCtlFailedResubmit(o *ctlOptions) *cobra.Command {
	f := &failedFilters{}
	cmd := &cobra.Command{
		Use:   "resubmit [ID...]",
		Short: "Resubmit failed messages to the processors they failed in",
		Long: "resubmit puts failed messages back in the message processor they failed in: those with the given IDs, or\n" +
			"every failed one the filters select, or with --all every failed one. Messages are resubmitted oldest first.\n" +
			"Only messages whose status is failed are resubmitted, unless --force is given.",
		RunE: func(_ *cobra.Command, args []string) error {
			req, err := resubmitRequest(f, args)
			if err != nil {
				return err
			}
			o.client = ctlBulkClient
			var res admin.ResubmitResult
			if ok, err := o.fetch(http.MethodPost, "/management/failed-messages/resubmit", req, "", &res); !ok {
				return err
			}
			return o.reportResubmit(res)
		},
	}
	f.register(cmd, true)
	cmd.Flags().BoolVar(&f.force, "force", false, "also resubmit messages whose status is resubmitted (their store lost them)")
	return cmd
}

func resubmitRequest(f *failedFilters, ids []string) (admin.ResubmitRequest, error) {
	q, err := f.query()
	req := admin.ResubmitRequest{FailedQuery: q, IDs: ids, All: f.all, Force: f.force}
	switch {
	case err != nil:
		return req, err
	case len(ids) > 0 && (!q.IsZero() || f.all):
		return req, ctlUsage("give IDs, or filters, or --all, not several")
	case len(ids) == 0 && q.IsZero() && !f.all:
		return req, ctlUsage("give the IDs to resubmit, filters, or --all")
	}
	return req, nil
}

func (o *ctlOptions) reportResubmit(res admin.ResubmitResult) error {
	fmt.Fprintf(o.out, "Resubmitted %d failed message%s\n", res.Resubmitted, plural(res.Resubmitted))
	if len(res.Failed) == 0 {
		return nil
	}
	lines := []string{fmt.Sprintf("busbar: %d could not be resubmitted:", len(res.Failed))}
	for _, f := range res.Failed {
		lines = append(lines, "  "+f.ID+": "+f.Error)
	}
	return exitCode{code: exitInvalid, msg: strings.Join(lines, "\n")}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func newCtlFailedDelete(o *ctlOptions) *cobra.Command {
	f := &failedFilters{}
	cmd := &cobra.Command{
		Use:   "delete [ID...]",
		Short: "Delete failed messages for good",
		Long:  "delete removes the failed messages with the given IDs, or every one the filters select, or with --all every one.",
		RunE: func(_ *cobra.Command, args []string) error {
			q, err := f.query()
			switch {
			case err != nil:
				return err
			case len(args) > 0 && (!q.IsZero() || f.all):
				return ctlUsage("give IDs, or filters, or --all, not several")
			case len(args) > 0:
				return o.deleteFailed(args)
			case q.IsZero() && !f.all:
				return ctlUsage("give the IDs to delete, filters, or --all")
			}
			return o.deleteSelected(q, f.all)
		},
	}
	f.register(cmd, true)
	return cmd
}

// deleteFailed deletes each ID, going on past failures so that one bad ID
// does not keep the others; the exit status reports any.
func (o *ctlOptions) deleteFailed(ids []string) error {
	var errs []string
	for _, id := range ids {
		body, err := o.call(http.MethodDelete, failedPath(id), nil, "failed message "+id+" does not exist")
		if err == nil {
			err = o.printMessage(body, nil)
		}
		if err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) > 0 {
		return exitCode{code: exitInvalid, msg: strings.Join(errs, "\n")}
	}
	return nil
}

func (o *ctlOptions) deleteSelected(q admin.FailedQuery, all bool) error {
	v := failedValues(q)
	if all {
		v.Set("all", "true")
	}
	var res admin.DeleteResult
	if ok, err := o.fetch(http.MethodDelete, "/management/failed-messages?"+v.Encode(), nil, "", &res); !ok {
		return err
	}
	fmt.Fprintf(o.out, "Deleted %d failed message%s\n", res.Deleted, plural(res.Deleted))
	return nil
}
