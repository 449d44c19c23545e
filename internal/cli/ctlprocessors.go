package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/busbar/busbar/internal/admin"
)

func newCtlProcessors(o *ctlOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "processors [NAME]",
		Short: "List message processors with their state, or show one in detail",
		Long: "processors lists every message processor with its type and status (active or inactive); with NAME it\n" +
			"shows that processor's store, parameters, statistics and configuration (mi get message-processors).",
		Args: cobra.MaximumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			if len(args) == 1 {
				return o.showProcessor(args[0])
			}
			return o.listProcessors()
		},
	}
	cmd.AddCommand(newCtlProcessorSwitch(o, "activate", admin.StatusActive, "Activate a message processor (mi activate message-processor)"),
		newCtlProcessorSwitch(o, "deactivate", admin.StatusInactive, "Deactivate a message processor; its messages wait in the store"))
	return cmd
}

func newCtlProcessorSwitch(o *ctlOptions, verb, status, short string) *cobra.Command {
	return &cobra.Command{
		Use:   verb + " NAME",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			req := admin.SwitchRequest{Name: args[0], Status: status}
			body, err := o.call(http.MethodPost, "/management/message-processors", req, "message processor "+args[0]+" does not exist")
			return o.printMessage(body, err)
		},
	}
}

// printMessage prints a {"Message": ...} answer (or, with --json, the
// answer as is).
func (o *ctlOptions) printMessage(body []byte, err error) error {
	if err != nil || o.json {
		return o.raw(body, err)
	}
	var m admin.Message
	if err := decodeAnswer(body, &m); err != nil {
		return err
	}
	fmt.Fprintln(o.out, m.Message)
	return nil
}

func (o *ctlOptions) listProcessors() error {
	var l admin.ProcessorList
	if ok, err := o.fetch(http.MethodGet, "/management/message-processors", nil, "", &l); !ok {
		return err
	}
	if l.Count == 0 {
		fmt.Fprintln(o.out, "no message processors")
		return nil
	}
	tw := table(o.out, "NAME\tTYPE\tSTATUS")
	for _, p := range l.List {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", p.Name, p.Type, p.Status)
	}
	return tw.Flush()
}

func (o *ctlOptions) showProcessor(name string) error {
	path := "/management/message-processors?name=" + url.QueryEscape(name)
	var v admin.ProcessorView
	if ok, err := o.fetch(http.MethodGet, path, nil, "message processor "+name+" does not exist", &v); !ok {
		return err
	}
	tw := table(o.out, "")
	row := func(k, v string) { fmt.Fprintf(tw, "%s:\t%s\n", k, v) }
	row("Name", v.Name)
	row("Type", v.Type)
	row("Status", v.Status)
	row("Message store", v.MessageStore)
	if v.FileName != "" {
		row("File", v.FileName)
	}
	_ = tw.Flush()
	printMap(o.out, "Parameters", v.Parameters)
	printMap(o.out, "Statistics", v.Statistics)
	printConfiguration(o.out, v.Configuration)
	return nil
}

// printMap prints a titled map sorted by key, values as JSON when they are
// not plain strings or numbers; nothing when empty.
func printMap[V any](w io.Writer, title string, m map[string]V) {
	if len(m) == 0 {
		return
	}
	fmt.Fprintf(w, "%s:\n", title)
	tw := table(w, "")
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(tw, "  %s\t%s\n", k, plainValue(m[k]))
	}
	_ = tw.Flush()
}

func plainValue(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func printConfiguration(w io.Writer, xml string) {
	if xml != "" {
		fmt.Fprintf(w, "Configuration:\n  %s\n", strings.ReplaceAll(xml, "\n", "\n  "))
	}
}

func newCtlStores(o *ctlOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "stores [NAME]",
		Short: "List message stores with their sizes, or show one in detail",
		Long: "stores lists every message store with its type and the number of messages it holds (\"?\" and the\n" +
			"reason when the store cannot be reached); with NAME it shows its parameters and the processors reading it.",
		Args: cobra.MaximumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			if len(args) == 1 {
				return o.showStore(args[0])
			}
			return o.listStores()
		},
	}
}

func (o *ctlOptions) listStores() error {
	var l admin.StoreList
	if ok, err := o.fetch(http.MethodGet, "/management/message-stores", nil, "", &l); !ok {
		return err
	}
	if l.Count == 0 {
		fmt.Fprintln(o.out, "no message stores")
		return nil
	}
	tw := table(o.out, "NAME\tTYPE\tSIZE\tERROR")
	for _, s := range l.List {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Name, s.Type, sizeText(s.Size), s.Error)
	}
	return tw.Flush()
}

func sizeText(n int64) string {
	if n < 0 {
		return "?"
	}
	return strconv.FormatInt(n, 10)
}

func (o *ctlOptions) showStore(name string) error {
	path := "/management/message-stores?name=" + url.QueryEscape(name)
	var v admin.StoreView
	if ok, err := o.fetch(http.MethodGet, path, nil, "message store "+name+" does not exist", &v); !ok {
		return err
	}
	tw := table(o.out, "")
	row := func(k, v string) { fmt.Fprintf(tw, "%s:\t%s\n", k, v) }
	row("Name", v.Name)
	row("Type", v.Type+" ("+v.Kind+")")
	row("Size", sizeText(v.Size))
	if v.Error != "" {
		row("Error", v.Error)
	}
	row("Processors", strings.Join(v.Processors, ", "))
	_ = tw.Flush()
	printMap(o.out, "Parameters", v.Properties)
	printConfiguration(o.out, v.Configuration)
	return nil
}
