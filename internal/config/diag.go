package config

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Severity of a diagnostic.
type Severity uint8

// Severities.
const (
	SevError Severity = iota
	SevWarning
)

func (s Severity) String() string {
	if s == SevWarning {
		return "warning"
	}
	return "error"
}

// Diagnostic is one finding about a configuration: where, in which element
// path, and why.
type Diagnostic struct {
	Severity Severity
	Pos      Pos
	// Path is the element path, e.g. "api[orders]/resource[2]/inSequence/log[1]".
	Path string
	Msg  string
}

func (d Diagnostic) String() string {
	var b strings.Builder
	b.WriteString(d.Pos.String())
	b.WriteString(": ")
	b.WriteString(d.Severity.String())
	b.WriteString(": ")
	if d.Path != "" {
		b.WriteString(d.Path)
		b.WriteString(": ")
	}
	b.WriteString(d.Msg)
	return b.String()
}

// Diagnostics collects every finding of one load, so that a user sees all of
// them at once.
type Diagnostics struct {
	List []Diagnostic
}

// Errorf records an error.
func (ds *Diagnostics) Errorf(pos Pos, path, format string, args ...any) {
	ds.List = append(ds.List, Diagnostic{Severity: SevError, Pos: pos, Path: path, Msg: fmt.Sprintf(format, args...)})
}

// Warnf records a warning.
func (ds *Diagnostics) Warnf(pos Pos, path, format string, args ...any) {
	ds.List = append(ds.List, Diagnostic{Severity: SevWarning, Pos: pos, Path: path, Msg: fmt.Sprintf(format, args...)})
}

// Add appends diagnostics.
func (ds *Diagnostics) Add(more ...Diagnostic) { ds.List = append(ds.List, more...) }

// HasErrors reports whether any diagnostic is an error.
func (ds *Diagnostics) HasErrors() bool {
	for _, d := range ds.List {
		if d.Severity == SevError {
			return true
		}
	}
	return false
}

// Errors returns the errors only.
func (ds *Diagnostics) Errors() []Diagnostic { return ds.filter(SevError) }

// Warnings returns the warnings only.
func (ds *Diagnostics) Warnings() []Diagnostic { return ds.filter(SevWarning) }

func (ds *Diagnostics) filter(s Severity) []Diagnostic {
	var out []Diagnostic
	for _, d := range ds.List {
		if d.Severity == s {
			out = append(out, d)
		}
	}
	return out
}

// Sort orders diagnostics by file, line and column.
func (ds *Diagnostics) Sort() {
	sort.SliceStable(ds.List, func(i, j int) bool {
		a, b := ds.List[i].Pos, ds.List[j].Pos
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
}

// Err returns nil if there are no errors, else one error joining them all.
func (ds *Diagnostics) Err() error {
	var errs []error
	for _, d := range ds.List {
		if d.Severity == SevError {
			errs = append(errs, errors.New(d.String()))
		}
	}
	return errors.Join(errs...)
}
