// Package async is Python asyncio's task model for Go: typed tasks you can
// start, await, cancel, gather, group, wait for, time out and watch.
//
// Go's scheduler already runs goroutines concurrently and in parallel; what
// it lacks is the task: a handle with a typed result, a state, a name, a
// cancel button with a reason, and scopes that never leak. That is what this
// package adds, using only the standard library, with context.Context as the
// carrier of cancellation and errors as values.
//
// # A short tour, from asyncio to Go
//
//	asyncio                             async
//	-------                             -----
//	asyncio.run(main())                 async.Run(ctx, main)           // root scope: signals, leak report
//	asyncio.all_tasks()                 async.AllTasks(ctx)
//	python -m asyncio pstree PID        tasktree.Dump(ctx, w) (debug/tasktree), /debug/tasks (debug/taskhttp)
//	task = asyncio.create_task(coro())  t := async.Spawn(ctx, fn)      // starts at once
//	result = await task                 v, err := t.Await(ctx)         // ctx ending stops the wait, not the task
//	task.done() / task.result()         t.State().Finished() / t.Result()
//	task.cancel(msg)                    t.Cancel(cause)                // cancels t's context with cause
//	task.cancelled()                    t.Cancelled()
//	except CancelledError               errors.Is(err, context.Canceled) // *CancelledError carries the cause
//	task.add_done_callback(cb)          t.AddDoneCallback(cb)
//	fut = loop.create_future()          f := async.NewFuture[T](ctx)   // a Task set from outside: f.Task
//	fut.set_result(v) / set_exception   f.Set(v) / f.Fail(err)
//	task.get_name() / set_name()        t.Name() / t.SetName()
//	asyncio.current_task()              async.Current(ctx)
//	await asyncio.gather(*tasks)        async.Gather(ctx, tasks...)    // fails fast and cancels the rest
//	gather(..., return_exceptions=True) async.GatherSettled(ctx, tasks...)
//	gather(coro1(), coro2())            async.GatherFunc(ctx, fns)
//	async with TaskGroup() as tg:       async.WithGroup(ctx, func(ctx, g) error { async.Go(g, fn); ... })
//	semaphore + create_task             async.Submit(ctx, g, fn), async.TryGo(g, fn)  // WithLimit + WithBacklog
//	TaskGroup / return_exceptions       async.WithJoin(async.FailFast() / CollectAll() / FirstSuccess())
//	asyncio.wait(tasks, return_when=…)  async.Wait(ctx, async.FirstCompleted, tasks...)
//	for f in asyncio.as_completed(ts)   for t, err := range async.AsCompleted(ctx, tasks...)
//	await asyncio.wait_for(task, 2)     async.WaitFor(ctx, 2*time.Second, t)
//	async with asyncio.timeout(2):      async.Timeout(ctx, 2*time.Second, fn)
//	async with timeout(2) as cm:        ctx, tm := async.NewTimeout(ctx, 2*time.Second)
//	cm.reschedule(when); cm.expired()   tm.Reschedule(when); tm.Expired(); err = tm.Exit(err)
//	timeout=None                        async.NoTimeout
//	except TimeoutError                 errors.Is(err, async.ErrTimeout)
//	await asyncio.shield(task)          async.Shield(ctx, t).Await(ctx)
//	await asyncio.sleep(1)              async.Sleep(ctx, time.Second)  // ends early, with ctx's error, on cancel
//
// Beyond asyncio: a task reports its own progress with [Report] and whoever
// holds it reads [Task.Progress] or follows [Task.WatchProgress], and a group
// counts its finished tasks on its own ([Group.Progress]); [Map] runs a
// function over a slice with a concurrency limit; [Stream] runs one over a
// sequence and yields the results in order as they are ready, in bounded
// memory; a panic in a task becomes a
// [*PanicError] with the stack instead of a crash; a failed task whose error
// nobody retrieved is reported through [SetUnretrievedErrorHandler].
//
// # Cancellation is cooperative
//
// A Python task is cancelled by raising CancelledError at its next await. A
// Go function is never interrupted: it is asked, through its context, and
// stops when it looks. A task that finishes its work anyway ends [Done]. A
// task's context is also cancelled when its function returns (cause
// [ErrTaskReturned]), so whatever it started with that context does not
// outlive it.
//
// One rule tells a cancellation from a failure, for tasks, group bodies,
// [Wait], [Gather], [Map] and the unretrieved-error report alike: an error
// is a cancellation if it matches context.Canceled — whether the task's own
// context was cancelled or the function passes on the cancellation of
// something it waited for, as a CancelledError leaving a coroutine cancels
// the task in asyncio — or if the task's context is done and the error is
// its deadline or its cause. Such a task ends [Cancelled] with a
// [*CancelledError] whose Cause is why its context was cancelled or, when
// nothing cancelled it, the error it passed on. A cancelled task is not a
// failure: a group does not cancel its siblings for it, Wait's FirstError
// does not stop at it, and it is never reported as unretrieved. Everything
// else is a failure, and so is every panic, even one whose value wraps
// context.Canceled; so is a deadline that is not the task's own (an inner
// [Timeout] expiring), as TimeoutError is in asyncio.
//
// Nothing a call cancels outlives it: [Gather] and [WaitFor], when they
// cancel tasks (on a failure, a timeout or the caller's cancellation), wait
// for those tasks to end before they return, as [GatherFunc], [Map] and
// [WithGroup] do.
//
// # Errors
//
// A task's error reaches every awaiter unchanged. A [Group] keeps every real
// failure in a [*GroupError] of [*TaskError]s (errors.Is and errors.As see
// through both), but not the cancellation errors of siblings it cancelled
// itself, which are consequences rather than causes. A join policy
// ([WithJoin]) changes that rule for one group: [CollectAll] cancels
// nothing, [FirstSuccess] stops at the first success.
//
// # Backpressure
//
// [Go] never blocks: behind a group's [WithLimit] the queue is unbounded.
// [Submit] waits while the limit runs and a [WithBacklog] of tasks waits,
// and [TryGo] reports false instead; adds from the group's own tasks never
// wait, since that could deadlock. [Stream] holds at most limit + backlog
// items however long its input.
//
// # Cost
//
// A task costs its goroutine and one allocation of 96 bytes (for a
// Task[int]). It reads the clock, for [Task.StartTime] and [Task.EndTime],
// only when something needs the times: [WithTimes], or a [Run] scope, whose
// task tree shows each task's age and whose tasks share a reading of the
// clock for up to a millisecond. Its own context is made only when
// something needs it: the function asking for ctx.Done(), [Task.Cancel],
// or a look at the context after the task has ended; a function that never
// looks at its context does not pay for one. A task of a group that waits
// on ctx.Done() gets a channel and nothing more, which the group closes
// when it is cancelled: when that cancellation comes from above the group
// (the context given to [WithGroup] ends), the channel closes just after
// the context's Err reports it, as the cancellation propagates. So does a
// task started with a context that is never cancelled
// (context.Background), which only its own end or [Task.Cancel] closes. The
// [CancelledError] of a cancelled task is made when it is first read.
// BENCHMARKS.md measures all of this against errgroup, conc and asyncio.
//
// # Options
//
// Each kind of call takes its own kind of option ([TaskOption],
// [GroupOption], [FanOutOption], [StreamOption], [TimeoutOption],
// [RunOption]), and an option is only of the kinds that honour it, so
// the compiler rejects async.Spawn(ctx, fn, async.WithLimit(2)). [WithName]
// names anything.
package async
