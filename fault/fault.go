// Package fault classifies errors by what the caller should do about them.
// Domain packages wrap ErrBadInput into errors that no retry can fix (a
// corrupt file, a name escaping the media root, a passport without a zone);
// the jobs package turns those into a cancelled job and retries the rest.
package fault

import (
	"errors"
	"fmt"
)

// ErrBadInput marks an error caused by the job's input. Retrying cannot help.
var ErrBadInput = errors.New("bad input")

// BadInput returns an error that matches ErrBadInput, with a message that
// says what was wrong.
func BadInput(format string, args ...any) error {
	return &badInput{msg: fmt.Sprintf(format, args...)}
}

// IsBadInput reports whether err, or any error it wraps, is bad input.
func IsBadInput(err error) bool { return errors.Is(err, ErrBadInput) }

type badInput struct{ msg string }

func (e *badInput) Error() string        { return e.msg }
func (e *badInput) Is(target error) bool { return target == ErrBadInput }
