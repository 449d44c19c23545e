package admin_test

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/busbar/busbar/internal/admin"
)

// TestTokenFile: the first start writes a private token file, later starts
// reuse it, and concurrent first starts agree on one token.
func TestTokenFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tok, src, err := admin.ResolveToken("", dir)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, admin.TokenFile)
	if src != path || len(tok) < 40 || strings.Contains(src, tok) {
		t.Fatalf("token %q from %q", tok, src)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file: %v %v", fi, err)
	}
	again, _, err := admin.ResolveToken("", dir)
	if err != nil || again != tok {
		t.Fatalf("second start: %q %v", again, err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("left-over files: %v", entries)
	}

	race := t.TempDir()
	toks := make([]string, 8)
	var wg sync.WaitGroup
	for i := range toks {
		wg.Go(func() { toks[i], _, _ = admin.ResolveToken("", race) })
	}
	wg.Wait()
	for _, tk := range toks {
		if tk == "" || tk != toks[0] {
			t.Fatalf("concurrent starts disagree: %q", toks)
		}
	}
}

func TestTokenFromEnv(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tok, src, err := admin.ResolveToken("  from-env \n", dir)
	if err != nil || tok != "from-env" || src != admin.TokenEnv {
		t.Fatalf("%q %q %v", tok, src, err)
	}
	if _, err := os.Stat(filepath.Join(dir, admin.TokenFile)); !os.IsNotExist(err) {
		t.Fatalf("a token file was written although the environment set the token: %v", err)
	}
}

// TestTokenFileRefused: loose permissions, an empty file and an unwritable
// data directory stop the start with a message naming the file.
func TestTokenFileRefused(t *testing.T) {
	t.Parallel()
	loose := t.TempDir()
	if err := os.WriteFile(filepath.Join(loose, admin.TokenFile), []byte("tok\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := admin.ResolveToken("", loose); err == nil || !strings.Contains(err.Error(), "mode 0644") || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("loose permissions: %v", err)
	}
	empty := t.TempDir()
	if err := os.WriteFile(filepath.Join(empty, admin.TokenFile), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := admin.ResolveToken("", empty); err == nil || !strings.Contains(err.Error(), "is empty") {
		t.Errorf("empty file: %v", err)
	}
	// A data "directory" that is a file cannot hold the token, even for
	// root.
	notDir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notDir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := admin.ResolveToken("", notDir); err == nil || !strings.Contains(err.Error(), admin.TokenFile) {
		t.Errorf("unwritable: %v", err)
	}
}
