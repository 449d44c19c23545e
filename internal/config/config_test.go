package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/busbar/busbar/internal/config"
)

// TestPositions: every element and attribute keeps the line and column it
// was written at.
func TestPositions(t *testing.T) {
	t.Parallel()
	src := "<sequence xmlns=\"http://ws.apache.org/ns/synapse\" name=\"s\">\n  <log level=\"full\"\n       category=\"WARN\"/>\n</sequence>\n"
	root, err := config.ParseXML("f.xml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	log := root.Children[0]
	if log.Pos != (config.Pos{File: "f.xml", Line: 2, Col: 3}) {
		t.Fatalf("element pos %v", log.Pos)
	}
	if p := log.Attr("category").Pos; p.Line != 3 || p.Col != 8 {
		t.Fatalf("attribute pos %v", p)
	}
	if uri, ok := log.LookupNS(""); !ok || uri != config.NSSynapse {
		t.Fatalf("default namespace %q", uri)
	}
}

// TestLoadFolder reads the MI layout, reports unknown folders and files,
// accepts <definitions> files at the top, and hashes the content.
func TestLoadFolder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(rel, data string) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("api/a.xml", `<api xmlns="http://ws.apache.org/ns/synapse" name="a" context="/a"><resource><inSequence><drop/></inSequence></resource></api>`)
	write("sequences/s.xml", `<sequence xmlns="http://ws.apache.org/ns/synapse" name="s"><drop/></sequence>`)
	write("synapse.xml", `<definitions xmlns="http://ws.apache.org/ns/synapse"><localEntry key="k">v</localEntry></definitions>`)
	write("stuff/readme.txt", "x")
	write("api/notes.txt", "x")
	dep, diags := config.Load(dir)
	if diags.HasErrors() {
		t.Fatal(diags.Err())
	}
	if len(dep.APIs) != 1 || len(dep.Sequences) != 1 || len(dep.LocalEntries) != 1 || dep.LocalEntries[0].Text != "v" {
		t.Fatalf("loaded %+v", dep)
	}
	var warnings []string
	for _, w := range diags.Warnings() {
		warnings = append(warnings, w.String())
	}
	joined := strings.Join(warnings, "\n")
	if !strings.Contains(joined, `unknown folder "stuff"`) || !strings.Contains(joined, `"notes.txt" is not an XML artifact`) {
		t.Fatalf("warnings:\n%s", joined)
	}
	if dep.Hash == ([32]byte{}) {
		t.Fatal("no content hash")
	}
}

// FuzzLoad: the loader never panics, whatever the bytes, and every
// diagnostic it reports has a position in the file.
func FuzzLoad(f *testing.F) {
	for _, s := range []string{
		`<definitions xmlns="http://ws.apache.org/ns/synapse"><sequence name="s"><log/></sequence></definitions>`,
		`<api xmlns="http://ws.apache.org/ns/synapse" name="a" context="/a"><resource methods="GET" uri-template="/{x}"><inSequence/></resource></api>`,
		`<proxy name="p"><target endpoint="e"/></proxy>`,
		`<template name="t"><parameter name="p"/><sequence/></template>`,
		`<a><b></a>`, ``, `<?xml version="1.0"?><!DOCTYPE x><x/>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, diags := config.LoadBytes("f.xml", data)
		for _, d := range diags.List {
			if d.Pos.File != "f.xml" {
				t.Fatalf("diagnostic without the file: %v", d)
			}
		}
	})
}
