package async

// limiter is a group's concurrency limit ([WithLimit]), the queue of tasks
// waiting behind it, and the bound on that queue ([WithBacklog]) that
// [Submit] and [TryGo] respect. Its limit and backlog are set when the
// group is made and never change; the rest is guarded by the group's mutex.
type limiter struct {
	limit    int       // at most this many tasks run at once; <= 0 for no limit
	backlog  int       // queued tasks beyond which Submit waits; -1 for no bound
	running  int       // goroutines running the group's tasks (at most limit)
	reserved int       // places reserved by TryGo and Submit for the tasks they are making
	queue    taskQueue // tasks waiting for a goroutine
}

// limited reports whether there is a limit at all.
func (l *limiter) limited() bool { return l.limit > 0 }

// bounded reports whether adds that respect the backlog can be refused.
func (l *limiter) bounded() bool { return l.backlog >= 0 && l.limit > 0 }

// queued returns how many tasks wait in the queue.
func (l *limiter) queued() int { return len(l.queue.items) - l.queue.head - l.queue.removed }

// full reports whether an add that respects the backlog must wait: the
// tasks running, queued and reserved fill limit + backlog. (A task waits
// in the queue only while limit tasks run, so this is "limit running and
// backlog queued".)
func (l *limiter) full() bool {
	return l.bounded() && l.running+l.queued()+l.reserved >= l.limit+l.backlog
}

// atLimit reports whether a task added now must wait in the queue.
func (l *limiter) atLimit() bool { return l.limited() && l.running >= l.limit }

// handOn gives the running slot of a task that finished to the oldest
// queued task, which it returns, or frees it if none waits.
func (l *limiter) handOn() runner {
	if r := l.queue.pop(); r != nil {
		r.core().state.leaveQueue()
		return r
	}
	l.running--
	return nil
}
