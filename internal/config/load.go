package config

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Folders of the MI deployment layout, with the artifact element each holds.
var folders = map[string]string{
	"api":                "api",
	"proxy-services":     "proxy",
	"sequences":          "sequence",
	"endpoints":          "endpoint",
	"local-entries":      "localEntry",
	"templates":          "template",
	"message-stores":     "messageStore",
	"message-processors": "messageProcessor",
	"inbound-endpoints":  "inboundEndpoint",
	"tasks":              "task",
	"event-sources":      "eventSource",
	"priority-executors": "executor",
	"imports":            "import",
}

// folderOrder is the order folders are read in, so diagnostics and
// artifacts come out in a stable order.
var folderOrder = []string{"local-entries", "endpoints", "sequences", "templates", "api", "proxy-services",
	"message-stores", "message-processors", "inbound-endpoints", "tasks", "event-sources", "priority-executors", "imports"}

// Files a deployment folder may hold at its top besides artifact folders.
var rootFiles = map[string]bool{"busbar.toml": true, "registry.xml": true, "artifact.xml": true, ".gitignore": true, "README.md": true}

// Load reads a deployment: a folder in the MI layout or a single file whose
// root is <definitions>. It returns whatever could be read plus every
// diagnostic; the deployment is usable only if the diagnostics hold no
// errors.
func Load(path string) (*Deployment, *Diagnostics) {
	l := &loader{dep: &Deployment{Root: path}, diags: &Diagnostics{}, names: map[string]map[string]Pos{}, hash: sha256.New()}
	st, err := os.Stat(path)
	if err != nil {
		l.diags.Errorf(Pos{File: path}, "", "cannot read the deployment: %v", err)
		return l.dep, l.diags
	}
	if st.IsDir() {
		l.loadDir(path)
	} else {
		l.loadFile(path, "")
	}
	copy(l.dep.Hash[:], l.hash.Sum(nil))
	return l.dep, l.diags
}

// LoadBytes reads one document from memory (tests, fuzzing, snippets).
func LoadBytes(file string, data []byte) (*Deployment, *Diagnostics) {
	l := &loader{dep: &Deployment{Root: file}, diags: &Diagnostics{}, names: map[string]map[string]Pos{}, hash: sha256.New()}
	l.loadData(file, data, "")
	copy(l.dep.Hash[:], l.hash.Sum(nil))
	return l.dep, l.diags
}

type loader struct {
	dep   *Deployment
	diags *Diagnostics
	// names records where each artifact name was defined, per kind, to
	// report duplicates with both positions.
	names map[string]map[string]Pos
	hash  interface {
		Write([]byte) (int, error)
		Sum([]byte) []byte
	}
}

func (l *loader) loadDir(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		l.diags.Errorf(Pos{File: dir}, "", "cannot read the deployment folder: %v", err)
		return
	}
	present := map[string]bool{}
	for _, e := range entries {
		name := e.Name()
		switch {
		case e.IsDir() && folders[name] != "":
			present[name] = true
		case e.IsDir() && name == "synapse-configs":
			l.loadDir(filepath.Join(dir, name, "default"))
		case e.IsDir() && strings.HasPrefix(name, "."):
		case e.IsDir():
			l.diags.Warnf(Pos{File: filepath.Join(dir, name)}, "", "unknown folder %q is not part of the MI layout; ignored", name)
		case strings.HasSuffix(name, ".xml") && !rootFiles[name]:
			l.loadFile(filepath.Join(dir, name), "")
		case rootFiles[name] || strings.HasPrefix(name, "."):
		default:
			l.diags.Warnf(Pos{File: filepath.Join(dir, name)}, "", "file %q is not a Synapse artifact; ignored", name)
		}
	}
	for _, f := range folderOrder {
		if present[f] {
			l.loadFolder(filepath.Join(dir, f), folders[f])
		}
	}
}

func (l *loader) loadFolder(dir, kind string) {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || strings.HasPrefix(d.Name(), ".") {
			return nil
		}
		if !strings.HasSuffix(d.Name(), ".xml") {
			l.diags.Warnf(Pos{File: p}, "", "file %q is not an XML artifact; ignored", d.Name())
			return nil
		}
		files = append(files, p)
		return nil
	})
	if err != nil {
		l.diags.Errorf(Pos{File: dir}, "", "cannot read folder: %v", err)
	}
	sort.Strings(files)
	for _, f := range files {
		l.loadFile(f, kind)
	}
}

func (l *loader) loadFile(file, kind string) {
	data, err := os.ReadFile(file)
	if err != nil {
		l.diags.Errorf(Pos{File: file}, "", "cannot read file: %v", err)
		return
	}
	l.loadData(file, data, kind)
}

func (l *loader) loadData(file string, data []byte, kind string) {
	l.hash.Write([]byte(file))
	l.hash.Write([]byte{0})
	l.hash.Write(data)
	root, err := ParseXML(file, data)
	if err != nil {
		var pe *PosError
		if errors.As(err, &pe) {
			l.diags.Errorf(pe.Pos, "", "%s", pe.Msg)
		} else {
			l.diags.Errorf(Pos{File: file}, "", "%v", err)
		}
		return
	}
	if !root.IsSynapse() {
		l.diags.Errorf(root.Pos, "", "<%s> is not a Synapse element (namespace %q); expected the namespace %s", root.Display(), root.Name.Space, NSSynapse)
		return
	}
	if root.Name.Local == "definitions" {
		for _, c := range root.Children {
			l.artifact(c, "")
		}
		return
	}
	l.artifact(root, kind)
}

// unsupportedArtifacts are Synapse artifact elements Busbar knows but does
// not run yet.
var unsupportedArtifacts = map[string]bool{
	"inboundEndpoint": true, "task": true,
	"eventSource": true, "executor": true, "import": true, "registry": true, "taskManager": true,
}

func (l *loader) artifact(el *Element, folderKind string) {
	name := el.Name.Local
	if folderKind != "" && name != folderKind {
		l.diags.Warnf(el.Pos, "", "<%s> found in the folder for <%s> artifacts", name, folderKind)
	}
	switch {
	case !el.IsSynapse():
		l.diags.Errorf(el.Pos, "", "unknown element <%s> (namespace %q)", el.Display(), el.Name.Space)
	case name == "api":
		l.api(el)
	case name == "proxy":
		l.proxy(el)
	case name == "sequence":
		l.sequence(el)
	case name == "endpoint":
		l.endpoint(el)
	case name == "localEntry":
		l.localEntry(el)
	case name == "template":
		l.template(el)
	case name == "messageStore":
		l.messageStore(el)
	case name == "messageProcessor":
		l.messageProcessor(el)
	case name == "description":
	case unsupportedArtifacts[name]:
		l.diags.Errorf(el.Pos, "", "<%s> is a Synapse artifact that Busbar does not support yet", name)
	default:
		l.diags.Errorf(el.Pos, "", "unknown artifact element <%s>", name)
	}
}

// define records an artifact name, reporting a duplicate.
func (l *loader) define(kind, name string, pos Pos, path string) bool {
	m := l.names[kind]
	if m == nil {
		m = map[string]Pos{}
		l.names[kind] = m
	}
	if prev, dup := m[name]; dup {
		l.diags.Errorf(pos, path, "duplicate %s name %q (first defined at %s)", kind, name, prev)
		return false
	}
	m[name] = pos
	return true
}

// requireName reads the required name attribute (or another key attribute).
func (l *loader) requireName(el *Element, attr, kind string) (string, bool) {
	v, ok := el.AttrValue(attr)
	if !ok || strings.TrimSpace(v) == "" {
		l.diags.Errorf(el.Pos, "", "<%s> needs a %q attribute", kind, attr)
		return "", false
	}
	return strings.TrimSpace(v), true
}

// Path formats an element path segment such as api[orders].
func Path(kind, name string) string { return fmt.Sprintf("%s[%s]", kind, name) }
