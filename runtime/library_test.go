package runtime

import (
	"regexp"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// recordWriter keeps every Write, failing the test if two overlap.
type recordWriter struct {
	t      *testing.T
	mu     sync.Mutex
	busy   bool
	writes []string
}

func (w *recordWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	if w.busy {
		assert.Fail(w.t, "two loops wrote to Stderr at once")
	}
	w.busy = true
	w.writes = append(w.writes, string(p))
	w.busy = false
	w.mu.Unlock()
	return len(p), nil
}

// TestLoopsLoggingWritesOneRecordAtATime: with several loops logging at
// once, each record reaches Stderr as one Write of whole lines, with its
// timestamp, level and loop, never mixed with another loop's.
func TestLoopsLoggingWritesOneRecordAtATime(t *testing.T) {
	t.Parallel()
	w := &recordWriter{t: t}
	rt, err := New(Config{Loops: 3, Stderr: w})
	require.NoError(t, err)
	defer rt.Close()
	mustExec(t, rt, "log.star", `
logging.basicConfig(level = logging.INFO, format = "%(asctime)s %(levelname)s loop=%(loop)d %(message)s")
def spam():
    for i in range(300):
        logging.info("record %d\nsecond line of %d", i, i)
loop.call_soon(spam)
`)
	require.NoError(t, runBounded(t, rt))
	w.mu.Lock()
	defer w.mu.Unlock()
	require.Len(t, w.writes, 3*300, "one Write per record")
	record := regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO loop=([0-2]) record (\d+)\n    second line of (\d+)\n$`)
	for _, s := range w.writes {
		m := record.FindStringSubmatch(s)
		require.NotNil(t, m, "a record mixed up or malformed: %q", s)
		require.Equal(t, m[2], m[3], "the two lines of one record: %q", s)
	}
}

// TestLoadedHelperKeepsState: a load()ed helper module that keeps a
// counter and a cache works (its globals are not frozen), and every loop
// has its own copy of the state.
func TestLoadedHelperKeepsState(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"counter.star": "_state = {\"hits\": 0}\n_cache = {}\ndef hit():\n    _state[\"hits\"] += 1\n    return _state[\"hits\"]\ndef cached(k, f):\n    if k not in _cache:\n        _cache[k] = f()\n    return _cache[k]\n",
		"main.star":    "load(\"counter.star\", \"hit\", \"cached\")\nhit()\nhit()\nprint(\"loop\", loop.index, \"hits\", hit(), cached(\"k\", lambda: loop.index))\n",
	})
	rt, stdout, _ := newTestRuntime(t, Config{Loops: 2})
	if _, err := rt.ExecFile(dir + "/main.star"); err != nil {
		t.Fatalf("main: %s", FormatError(err))
	}
	require.NoError(t, runBounded(t, rt))
	assert.Contains(t, stdout.String(), "loop 0 hits 3 0\n")
	assert.Contains(t, stdout.String(), "loop 1 hits 3 1\n", "the second loop's copy counts on its own")
}
