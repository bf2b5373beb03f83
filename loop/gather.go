package loop

// Gather is asyncio.gather for futures: it returns a future that completes
// when every child has, with a []any of the children's results in argument
// order. A child listed twice is waited for once and appears twice.
//
// Without returnExceptions, the first child to fail — the first to
// complete with an error, not the first in argument order — fails the
// result with that error at once, and a child that is cancelled fails it
// with ErrCancelled; the other children keep running. With
// returnExceptions, a child's error (ErrCancelled for a cancelled child)
// takes its place in the list.
//
// Cancelling the returned future cancels every child that is still
// pending, inside Cancel, and reports whether any was; the returned future
// is then not itself cancelled but fails with ErrCancelled once the
// children are done (asyncio's _GatheringFuture). With no children the
// result is an empty list at once.
func (l *Loop) Gather(returnExceptions bool, children ...*Future) *Future {
	outer := l.NewFuture()
	if len(children) == 0 {
		_ = outer.SetResult([]any{})
		return outer
	}
	g := &gathering{outer: outer, children: children, returnExceptions: returnExceptions}
	seen := make(map[*Future]bool, len(children))
	var done []*Future
	for _, c := range children {
		if seen[c] {
			continue
		}
		seen[c] = true
		g.unique++
		if c.Done() {
			done = append(done, c)
		} else {
			c.AddDoneCallback(g.childDone)
		}
	}
	outer.cancelHook = g.cancel
	// As asyncio: children already done are counted now, so that a gather
	// of finished futures is finished when it is returned.
	for _, c := range done {
		g.childDone(c)
	}
	return outer
}

// gathering is the state of one Gather.
type gathering struct {
	outer            *Future
	children         []*Future
	returnExceptions bool
	unique           int  // distinct children
	finished         int  // distinct children done
	cancelRequested  bool // Cancel cancelled at least one child
}

// childDone is every child's done callback (asyncio's _done_callback).
func (g *gathering) childDone(c *Future) {
	g.finished++
	if g.outer.Done() {
		if !c.Cancelled() {
			_ = c.Exception() // the error is the outer future's, or ignored: retrieved
		}
		return
	}
	if !g.returnExceptions {
		if c.Cancelled() {
			_ = g.outer.SetException(ErrCancelled)
			return
		}
		if err := c.Exception(); err != nil {
			_ = g.outer.SetException(err)
			return
		}
	}
	if g.finished < g.unique {
		return
	}
	results := make([]any, len(g.children))
	for i, c := range g.children {
		if c.Cancelled() {
			results[i] = ErrCancelled
			continue
		}
		if err := c.Exception(); err != nil {
			results[i] = err
			continue
		}
		results[i], _ = c.Result()
	}
	if g.cancelRequested {
		_ = g.outer.SetException(ErrCancelled)
		return
	}
	_ = g.outer.SetResult(results)
}

// cancel is the outer future's Cancel: it cancels the pending children.
func (g *gathering) cancel() bool {
	cancelled := false
	for _, c := range g.children {
		if c.Cancel() {
			cancelled = true
		}
	}
	if cancelled {
		g.cancelRequested = true
	}
	return cancelled
}
