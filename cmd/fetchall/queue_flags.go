package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/asyncgo/async/fetch/queue"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// queueFlags are the flags every queue subcommand shares: where the NATS
// server is and which job.
type queueFlags struct {
	url  string
	job  string
	conn queue.ConnectOptions
}

// add adds the flags; wait is the default of -connect-wait.
func (q *queueFlags) add(fs *flag.FlagSet) { q.addWait(fs, 0) }

func (q *queueFlags) addWait(fs *flag.FlagSet, wait time.Duration) {
	def := os.Getenv("NATS_URL")
	if def == "" {
		def = "nats://127.0.0.1:4222"
	}
	fs.StringVar(&q.url, "nats", def, "the NATS server's `URL` (default $NATS_URL, else nats://127.0.0.1:4222); several, comma-separated, for a cluster; tls://HOST:PORT requires TLS")
	fs.StringVar(&q.job, "job", queue.DefaultJob, "the job's `NAME`: one list, its queue and its records")
	fs.StringVar(&q.conn.Creds, "creds", os.Getenv("NATS_CREDS"), "authenticate with the NATS credentials `FILE` (default $NATS_CREDS)")
	fs.StringVar(&q.conn.NKey, "nkey", os.Getenv("NATS_NKEY"), "authenticate with the nkey seed in `FILE` (default $NATS_NKEY)")
	fs.StringVar(&q.conn.User, "user", os.Getenv("NATS_USER"), "authenticate as `NAME` (default $NATS_USER), with -password")
	fs.StringVar(&q.conn.Password, "password", os.Getenv("NATS_PASSWORD"), "the NATS `PASSWORD` (default $NATS_PASSWORD, which, unlike the flag, other users cannot see in the process list)")
	fs.StringVar(&q.conn.Token, "token", os.Getenv("NATS_TOKEN"), "authenticate with the `TOKEN` (default $NATS_TOKEN)")
	fs.StringVar(&q.conn.CA, "tls-ca", os.Getenv("NATS_CA"), "verify the server's certificate with the CA certificates in `FILE` (default $NATS_CA)")
	fs.StringVar(&q.conn.Cert, "tls-cert", os.Getenv("NATS_CERT"), "present the client certificate in `FILE` (default $NATS_CERT), with -tls-key")
	fs.StringVar(&q.conn.Key, "tls-key", os.Getenv("NATS_KEY"), "the client certificate's key `FILE` (default $NATS_KEY)")
	fs.DurationVar(&q.conn.Wait, "connect-wait", wait, "while NATS cannot be reached, keep trying, with backoff, for up to `D` (0: give up at once)")
}

// connect connects to the NATS server as the flags say, printing any
// error as "fetchall CMD: ...".
func (q *queueFlags) connect(ctx context.Context, cmd string, stderr io.Writer) (*nats.Conn, jetstream.JetStream, bool) {
	opts := q.conn
	if opts.Wait > 0 {
		opts.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	nc, js, err := queue.ConnectWith(ctx, q.url, "fetchall "+cmd, opts)
	if err != nil {
		fmt.Fprintf(stderr, "fetchall %s: %v\n", cmd, err)
		return nil, nil, false
	}
	return nc, js, true
}

// open connects to the NATS server and opens the job, printing any error
// as "fetchall CMD: ..." on stderr; with create (enqueue), a job that does
// not exist is created as jf says, otherwise it is an error naming the jobs
// there are. The caller closes the connection; on failure ok is false and
// status is the exit status.
func (q *queueFlags) open(ctx context.Context, cmd string, stderr io.Writer, create bool, jf *jobFlags) (nc *nats.Conn, job *queue.Job, status int, ok bool) {
	if create {
		if err := jf.opts.Validate(); err != nil {
			fmt.Fprintf(stderr, "fetchall %s: %v\n", cmd, err)
			return nil, nil, exitUsage, false
		}
	}
	nc, js, connected := q.connect(ctx, cmd, stderr)
	if !connected {
		return nil, nil, exitFailures, false
	}
	var err error
	if create {
		job, err = queue.Open(ctx, js, q.job, jf.opts)
	} else {
		job, err = queue.OpenExisting(ctx, js, q.job)
	}
	if err != nil {
		nc.Close()
		fmt.Fprintf(stderr, "fetchall %s: %v\n", cmd, err)
		return nil, nil, exitFailures, false
	}
	return nc, job, exitOK, true
}

// jobFlags shape a job's streams when the command creates them.
type jobFlags struct {
	opts   queue.Options
	create bool // for a worker or collect: create the job if it is not there
}

// addCreate adds -create, for the commands that only open a job that
// enqueue made unless told otherwise.
func (j *jobFlags) addCreate(fs *flag.FlagSet) {
	fs.BoolVar(&j.create, "create", false, "create the job, as the job flags say, if it does not exist yet (by default a job that does not exist is an error naming those that do)")
}

func (j *jobFlags) add(fs *flag.FlagSet) {
	def := queue.DefaultOptions()
	fs.IntVar(&j.opts.Partitions, "partitions", def.Partitions, "spread hosts over `N` partitions, each served by one worker at a time, so at most N workers share a job; more cost the server more per URL (set when the job is created)")
	fs.IntVar(&j.opts.Replicas, "replicas", def.Replicas, "keep the job's streams on `N` servers of a cluster (3 survives the loss of one)")
	fs.BoolVar(&j.opts.Memory, "memory", false, "keep the job's streams in memory, not on disk (a server restart loses them)")
	fs.DurationVar(&j.opts.DuplicateWindow, "dup-window", def.DuplicateWindow, "how long the server remembers a line, so that enqueueing it again adds nothing (`D`)")
	fs.DurationVar(&j.opts.AckWait, "ack-wait", def.AckWait, "give a dead worker's URLs to another after `D` without news")
	fs.DurationVar(&j.opts.LeaseTTL, "lease-ttl", def.LeaseTTL, "give a dead worker's hosts to another after `D`")
}

// splitFlags separates the flags named in own (with whether each takes a
// value) from the rest, wherever they are, so that a subcommand can take
// its own flags and hand every other one to the local run's parser.
func splitFlags(args []string, own map[string]bool) (mine, rest []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return mine, append(rest, args[i:]...)
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		takesValue, ok := own[name]
		if !strings.HasPrefix(a, "-") || !ok {
			rest = append(rest, a)
			continue
		}
		mine = append(mine, a)
		if takesValue && !hasValue && i+1 < len(args) {
			i++
			mine = append(mine, args[i])
		}
	}
	return mine, rest
}
