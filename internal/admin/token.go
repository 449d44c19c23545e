package admin

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// TokenFile is the name of the generated token file in the data directory.
const TokenFile = "admin.token"

// TokenEnv is the environment variable that sets the token.
const TokenEnv = "BUSBAR_ADMIN_TOKEN"

// requireToken lets a request through only with "Authorization: Bearer
// <token>". Both sides are hashed first so that the comparison takes the
// same time whatever the length or content of the offered token.
func requireToken(token string, next http.Handler) http.Handler {
	want := sha256.Sum256([]byte(token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := bearer(r.Header.Get("Authorization"))
		have := sha256.Sum256([]byte(got))
		if !ok || token == "" || subtle.ConstantTimeCompare(have[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="busbar"`)
			writeError(w, http.StatusUnauthorized, "a valid bearer token is required (Authorization: Bearer <token>)")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// bearer extracts the credentials of a Bearer authorization header; the
// scheme is case-insensitive (RFC 9110 §11.1).
func bearer(h string) (string, bool) {
	scheme, cred, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	cred = strings.TrimSpace(cred)
	return cred, cred != ""
}

// ResolveToken returns the management token and where it came from: env
// (the value of BUSBAR_ADMIN_TOKEN) when set, else the token in
// dataDir/admin.token, created with a fresh random token on first use.
// source is "BUSBAR_ADMIN_TOKEN" or the file's path; it never contains the
// token. An existing file that others may read or write is refused.
func ResolveToken(env, dataDir string) (token, source string, err error) {
	if env = strings.TrimSpace(env); env != "" {
		return env, TokenEnv, nil
	}
	path := filepath.Join(dataDir, TokenFile)
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	token, err = loadOrCreate(path)
	return token, path, err
}

func loadOrCreate(path string) (string, error) {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return createToken(path)
	case err != nil:
		return "", fmt.Errorf("cannot read the management token file: %w", err)
	case fi.Mode().Perm()&0o077 != 0:
		return "", fmt.Errorf("the management token file %s has mode %04o; it must be readable by its owner only (chmod 600 %s)", path, fi.Mode().Perm(), path)
	}
	return ReadToken(path)
}

// createToken writes a new token into a private temporary file and links
// it into place, so that nobody ever sees a partial file and two processes
// starting at once agree on one token: the loser of the link reads the
// winner's.
func createToken(path string) (string, error) {
	token, err := newToken()
	if err != nil {
		return "", err
	}
	tmp, err := writeTemp(filepath.Dir(path), token+"\n")
	if err != nil {
		return "", fmt.Errorf("cannot create the management token file %s: %w", path, err)
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, path); errors.Is(err, fs.ErrExist) {
		return loadOrCreate(path)
	} else if err != nil {
		return "", fmt.Errorf("cannot create the management token file %s: %w", path, err)
	}
	return token, nil
}

// writeTemp writes data to a new file in dir; os.CreateTemp makes it with
// mode 0600.
func writeTemp(dir, data string) (string, error) {
	f, err := os.CreateTemp(dir, ".admin.token-*")
	if err != nil {
		return "", err
	}
	_, err = f.WriteString(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// newToken returns 256 random bits, URL-safe so it can be pasted anywhere.
func newToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("cannot generate a management token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// ReadToken reads a token file (surrounding white space ignored); an empty
// file is an error.
func ReadToken(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("cannot read the management token: %w", err)
	}
	token := strings.TrimSpace(string(b))
	if token == "" {
		return "", fmt.Errorf("the management token file %s is empty", path)
	}
	return token, nil
}
