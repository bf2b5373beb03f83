package loop

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestErrorCarriesItsClass: an Error reads "Kind: Message", says its class
// through the Exception methods, and keeps a %w-wrapped error for errors.Is;
// the loop's sentinels are Exceptions too.
func TestErrorCarriesItsClass(t *testing.T) {
	t.Parallel()
	err := Errorf("RuntimeError", "stopped: %w", ErrCancelled)
	assert.Equal(t, "RuntimeError: stopped: CancelledError", err.Error())
	var ex Exception
	require.True(t, errors.As(err, &ex))
	assert.Equal(t, "RuntimeError", ex.ExceptionKind())
	assert.Equal(t, "stopped: CancelledError", ex.ExceptionMessage())
	assert.ErrorIs(t, err, ErrCancelled)

	for sentinel, kind := range map[error]string{
		ErrCancelled: "CancelledError", ErrInvalidState: "InvalidStateError",
		ErrRunning: "RuntimeError", ErrIdle: "RuntimeError", errStoppedEarly: "RuntimeError",
	} {
		require.True(t, errors.As(sentinel, &ex), "%v", sentinel)
		assert.Equal(t, kind, ex.ExceptionKind(), "%v", sentinel)
	}
	assert.Equal(t, "CancelledError", ErrCancelled.Error())
	assert.Equal(t, "InvalidStateError: invalid state", ErrInvalidState.Error())
}
