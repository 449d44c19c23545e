package httpout_test

import (
	"errors"
	"testing"

	"github.com/busbar/busbar/internal/fault"
)

func asFault(t *testing.T, err error) *fault.Error {
	t.Helper()
	var f *fault.Error
	if !errors.As(err, &f) {
		t.Fatalf("not a fault: %v", err)
	}
	return f
}
