package testkit

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Update rewrites golden files instead of comparing (go test -update).
var Update = flag.Bool("update", false, "rewrite golden files")

// Archive is a golden file made of named sections:
//
//	-- input.xml --
//	...
//	-- want --
//	...
type Archive struct {
	Comment  string
	Sections []Section
}

// Section is one named part of an Archive.
type Section struct {
	Name string
	Data string
}

// ParseArchive splits a golden file into sections.
func ParseArchive(data string) *Archive {
	a := &Archive{}
	var cur *Section
	for _, line := range strings.SplitAfter(data, "\n") {
		t := strings.TrimRight(line, "\r\n")
		if strings.HasPrefix(t, "-- ") && strings.HasSuffix(t, " --") && len(t) > 6 {
			a.Sections = append(a.Sections, Section{Name: strings.TrimSpace(t[3 : len(t)-3])})
			cur = &a.Sections[len(a.Sections)-1]
			continue
		}
		if cur == nil {
			a.Comment += line
		} else {
			cur.Data += line
		}
	}
	return a
}

// Get returns a section's data.
func (a *Archive) Get(name string) (string, bool) {
	for _, s := range a.Sections {
		if s.Name == name {
			return s.Data, true
		}
	}
	return "", false
}

// Set replaces or adds a section.
func (a *Archive) Set(name, data string) {
	for i := range a.Sections {
		if a.Sections[i].Name == name {
			a.Sections[i].Data = data
			return
		}
	}
	a.Sections = append(a.Sections, Section{Name: name, Data: data})
}

// Format renders the archive back to text.
func (a *Archive) Format() string {
	var b strings.Builder
	b.WriteString(a.Comment)
	for _, s := range a.Sections {
		b.WriteString("-- " + s.Name + " --\n")
		b.WriteString(s.Data)
		if s.Data != "" && !strings.HasSuffix(s.Data, "\n") {
			b.WriteString("\n")
		}
	}
	return b.String()
}

// Golden runs f on every *.txtar file in dir: f receives the archive and
// returns the actual value of the "want" section, which is compared (or
// rewritten with -update).
func Golden(t *testing.T, dir string, f func(t *testing.T, a *Archive) string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.txtar"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files in %s", dir)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			a := ParseArchive(string(data))
			got := f(t, a)
			if *Update {
				a.Set("want", got)
				if err := os.WriteFile(file, []byte(a.Format()), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, _ := a.Get("want")
			if strings.TrimSpace(got) != strings.TrimSpace(want) {
				t.Errorf("%s: mismatch (run with -update to accept)\n--- got ---\n%s\n--- want ---\n%s", file, got, want)
			}
		})
	}
}
