package fault_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"testing"

	"github.com/revisbali/worker/fault"
)

func TestIsBadInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  error
		want bool
	}{
		{fault.BadInput("pdf %q is encrypted", "a.pdf"), true},
		{fmt.Errorf("ocr: %w", fault.BadInput("empty file")), true},
		{fmt.Errorf("%w: name escapes root", fault.ErrBadInput), true},
		{context.DeadlineExceeded, false},
		{fs.ErrNotExist, false},
		{errors.New("connection reset"), false},
		{nil, false},
	}
	for _, tt := range tests {
		if got := fault.IsBadInput(tt.err); got != tt.want {
			t.Errorf("IsBadInput(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

func ExampleBadInput() {
	err := fmt.Errorf("ocr scans/a.pdf: %w", fault.BadInput("the PDF is encrypted"))
	fmt.Println(err, fault.IsBadInput(err))
	// Output: ocr scans/a.pdf: the PDF is encrypted true
}
