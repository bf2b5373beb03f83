package starlarkbind

import (
	"errors"
	"fmt"
	"testing"

	"github.com/starnet-dev/starnet/loop"
	"github.com/starnet-dev/starnet/starlarkbind/binary"
	"github.com/stretchr/testify/assert"
	"go.starlark.net/starlark"
)

// TestErrorClassIsCarriedNotParsed: the class a script sees comes from the
// error's ExceptionKind, never from its text: a message that happens to
// start with "KeyError: " stays what it is, while the loop's, the binary
// module's and the builtins' errors keep their class, wrapped or not.
func TestErrorClassIsCarriedNotParsed(t *testing.T) {
	t.Parallel()
	assert.NotEqual(t, "KeyError", toTransportsError(errors.New("KeyError: looks like one")).Kind)
	for err, kind := range map[error]string{
		loop.ErrRunning:                         "RuntimeError",
		fmt.Errorf("context: %w", loop.ErrIdle): "RuntimeError",
		valueErrorf("bad %d", 1):                "ValueError",
		typeErrorf("bad"):                       "TypeError",
		&binary.Error{Kind: "OverflowError", Message: "too big"}: "OverflowError",
		unpack("f", starlark.Tuple{starlark.MakeInt(1)}, nil):    "TypeError",
	} {
		assert.Equal(t, kind, toTransportsError(err).Kind, "%v", err)
	}
	assert.Equal(t, "ValueError: bad 1", valueErrorf("bad %d", 1).Error())
	assert.Equal(t, "bad 1", toTransportsError(valueErrorf("bad %d", 1)).Message)
}
