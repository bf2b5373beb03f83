package transports

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// childPids lists the process's children, as the kernel knows them.
func childPids(t *testing.T) []int {
	t.Helper()
	tasks, err := os.ReadDir("/proc/self/task")
	require.NoError(t, err)
	var pids []int
	for _, task := range tasks {
		b, err := os.ReadFile("/proc/self/task/" + task.Name() + "/children")
		if err != nil {
			continue // the thread ended meanwhile
		}
		for _, f := range strings.Fields(string(b)) {
			pid, err := strconv.Atoi(f)
			require.NoError(t, err)
			pids = append(pids, pid)
		}
	}
	return pids
}

// A ChildLimit of 3: the fourth call fails with BlockingIOError and starts
// no child; once a child is reaped its place is free again; calls that
// start nothing (a missing program, a failing factory, a cancelled call)
// give their place back.
func TestSubprocessChildLimit(t *testing.T) {
	tl := newTestLoop(t)
	limit := NewChildLimit(3, "raise it with --max-children")
	opts := SubprocessOptions{Limit: limit}
	before := len(childPids(t))
	recs := make([]*procRecorder, 3)
	for i := range recs {
		fut := SubprocessExec(tl.Loop, func() (BaseProtocol, error) {
			recs[i] = newProcRecorder(tl.Loop)
			return recs[i], nil
		}, []string{"sh", "-c", "read x"}, opts)
		tl.mustAwait(fut)
	}
	assert.Equal(t, 3, limit.Running())
	assert.Len(t, childPids(t), before+3, "three children run")

	factoryCalled := false
	_, err := tl.await(SubprocessExec(tl.Loop, func() (BaseProtocol, error) {
		factoryCalled = true
		return newProcRecorder(tl.Loop), nil
	}, []string{"sh", "-c", "read x"}, opts))
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, KindBlockingIOError, e.Kind)
	assert.Equal(t, syscall.EAGAIN, e.Errno)
	assert.EqualError(t, err, "BlockingIOError: [Errno 11] too many child processes: 3 are running, the limit; raise it with --max-children")
	assert.False(t, factoryCalled, "the refused call made no protocol")
	assert.Len(t, childPids(t), before+3, "the refused call started no child")

	stdin := recs[0].tr.GetPipeTransport(0).(WriteTransport)
	require.NoError(t, stdin.Write([]byte("go\n")))
	tl.mustAwait(recs[0].lost)
	assert.Equal(t, 2, limit.Running(), "the reaped child's place is free")

	// Calls that start nothing give their place back.
	_, err = tl.await(SubprocessExec(tl.Loop, func() (BaseProtocol, error) { return newProcRecorder(tl.Loop), nil },
		[]string{"no-such-program-here"}, opts))
	require.Error(t, err)
	_, err = tl.await(SubprocessExec(tl.Loop, func() (BaseProtocol, error) { return nil, NewError(KindValueError, "no") },
		[]string{"true"}, opts))
	require.Error(t, err)
	cancelled := SubprocessExec(tl.Loop, func() (BaseProtocol, error) { return newProcRecorder(tl.Loop), nil },
		[]string{"true"}, opts)
	cancelled.Cancel()
	tl.spin(3) // two children still run: the loop cannot go idle
	assert.Equal(t, 2, limit.Running(), "failed and cancelled calls hold no place")

	last := runChildAsync(tl, []string{"true"}, opts)
	tl.mustAwait(last.lost)
	for _, r := range recs[1:] {
		require.NoError(t, r.tr.GetPipeTransport(0).(WriteTransport).Write([]byte("go\n")))
		tl.mustAwait(r.lost)
	}
	assert.Equal(t, 0, limit.Running())
	tl.runIdle()
	tl.expectNoReports()
}

// runChildAsync starts argv and returns its recorder once started.
func runChildAsync(tl *testLoop, argv []string, opts SubprocessOptions) *procRecorder {
	tl.t.Helper()
	var rec *procRecorder
	fut := SubprocessExec(tl.Loop, func() (BaseProtocol, error) {
		rec = newProcRecorder(tl.Loop)
		return rec, nil
	}, argv, opts)
	tl.mustAwait(fut)
	return rec
}
