// Package queue runs the fetch engine across machines on NATS JetStream,
// with exactly one record per input line however workers crash, restart or
// come and go.
//
// A job is one URL list. [Enqueue] publishes one message per input line to
// the job's work-queue stream, under the message id job:line, so that
// enqueueing the list again adds nothing twice. Any number of [Worker]s,
// on any machines, pull those messages in batches, fetch them with the
// engine ([fetch.Fetcher.Run], with the options of a local run), publish
// each record to the job's results stream under the same id, and only then
// acknowledge the work message. [Collect] reads the results stream and
// writes the first record of each line, and ends when every line of the
// job has one.
//
// # Exactly one record per line
//
// A worker that dies loses nothing: the messages it held unacknowledged
// are delivered to another worker once the ack wait runs out. A worker
// extends the ack wait (InProgress) of every message it holds, so a slow
// URL, or one waiting for its host, is not handed out twice. A worker that
// dies after publishing a record but before acknowledging its message
// makes the URL fetched twice; the second record has the same message id
// and JetStream drops it within the duplicate window. Past the window both
// records are stored, and Collect, which keeps one bit per line, writes
// the first and counts the other as a duplicate. So the output has exactly
// one record per line in every case: fetching is at least once, records
// are exactly once.
//
// # Politeness across the cluster
//
// Per-host limits (Config.PerHost, HostRate, a Retry-After pause) are kept
// by the engine for the requests it makes. N workers, each with its own
// engine, would multiply them by N. So the work subjects are partitioned
// by a hash of the host (host:port as the engine keys its limits), with one
// durable consumer per partition, and a partition is pulled by one worker
// at a time: every URL of a host goes through one engine, whose limits
// then hold for the whole cluster.
//
// Workers share the partitions through leases in the job's key-value
// bucket, whose entries expire unless renewed (Options.LeaseTTL). Each
// worker announces itself with a heartbeat, computes its share of the
// partitions from the live workers (rendezvous hashing, capped at a fair
// share), and takes the lease of a partition of its share only when it is
// free. A worker that sees a partition leave its share stops pulling it,
// gives back what the engine has not started, waits until every URL it
// took from it has its record, and only then frees the lease. A killed
// worker's leases expire after the TTL. The alternative, a shared rate
// limiter in the bucket, would cost a round trip per request and could not
// express a per-host concurrency limit or a pause cheaply; partitioning
// costs nothing per request. Its price: one host cannot be fetched faster
// than one worker can, and a list of few hosts uses few workers. The
// overall Config.Rate stays per worker.
//
// A worker cut off from the server for longer than the lease TTL loses its
// leases; it stops pulling at once, but the requests it has in flight may
// overlap with the next holder's for that long. Keep the TTL well above
// network hiccups (the default is 10s).
//
// A Retry-After pause goes with its partition: the worker that got it
// records the host's pause, with its end, in the job's bucket, and the
// partition's next holder pauses the host in its own engine before its
// first request (see [Job.Pauses]).
//
// # The job's own record
//
// Enqueue records how far its list is stored, so that an enqueue run
// again publishes nothing already there, whatever the server's duplicate
// window remembers, and a table of the job's lines (a hash of each line's
// URL). Collect takes a record for a line only if the line is one of the
// job's and the URL fetched is the line's, and the job's count of lines
// decides when it is done: a forged or stray message can neither finish a
// job early nor take a real record's place.
//
// Package queue/embedded runs a NATS server inside the process, for tests
// and fetchall cluster-demo (built with -tags clusterdemo);
// docs/cluster.md in the repository has the design, the operations
// (status, metrics, credentials, permissions) and a sizing estimate.
package queue
