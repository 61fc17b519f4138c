package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	neturl "net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// DefaultJob is the job name used when none is given.
const DefaultJob = "fetchall"

// Options shape the streams of a job when Open creates them. A job that
// already exists keeps the shape it was created with; the zero value is
// usable.
type Options struct {
	// Partitions is how many work subjects the URLs are spread over by a
	// hash of their host (default 16). A partition is served by one worker
	// at a time, so it also bounds how many workers can share a job. Each
	// is a consumer of the work stream, and the server checks every
	// consumer of the stream when it stores or deletes a message: with 64
	// partitions it spends about a quarter more per URL than with 16 (see
	// docs/cluster.md). For more workers than partitions, split the list
	// into several jobs.
	Partitions int
	// Replicas is how many servers keep each stream (default 1; 3 on a
	// three-server cluster survives the loss of one).
	Replicas int
	// Memory keeps the streams in memory instead of files: faster, but a
	// server restart loses the job.
	Memory bool
	// DuplicateWindow is how long JetStream remembers message ids to drop
	// a second publish of the same line (default 10m). Past it, a line
	// enqueued again is fetched again; collect still writes one record
	// per line. The results stream remembers record ids for at most
	// resultsWindow: a second record comes from a worker that died
	// between publishing and acknowledging, an ack wait later, and collect
	// drops any that comes later still.
	DuplicateWindow time.Duration
	// AckWait is how long a worker may hold a URL without news before
	// JetStream gives it to another worker (default 30s). Workers extend
	// it while a URL is in flight, so it bounds how long a dead worker's
	// URLs wait, not how long a fetch may take.
	AckWait time.Duration
	// LeaseTTL is how long a worker's hold on a partition outlives the
	// worker (default 10s): a killed worker's hosts are served again after
	// at most this long.
	LeaseTTL time.Duration
}

// DefaultOptions returns the options a job is created with when they are
// left zero.
func DefaultOptions() Options { return Options{}.withDefaults() }

// ErrBadOptions is wrapped by the error of Options that cannot make a job.
var ErrBadOptions = errors.New("queue: bad job options")

// Validate reports options that cannot make a job: a negative value, or
// more partitions than maxPartitions. Zero values take their defaults.
func (o Options) Validate() error {
	switch {
	case o.Partitions < 0 || o.Partitions > maxPartitions:
		return fmt.Errorf("%w: partitions must be 1 to %d", ErrBadOptions, maxPartitions)
	case o.Replicas < 0 || o.Replicas > 5:
		return fmt.Errorf("%w: replicas must be 1 to 5", ErrBadOptions)
	case o.DuplicateWindow < 0 || o.AckWait < 0 || o.LeaseTTL < 0:
		return fmt.Errorf("%w: durations must be positive", ErrBadOptions)
	}
	return nil
}

// maxPartitions bounds a job's partitions: each is a consumer the server
// checks on every store and delete (see Options.Partitions).
const maxPartitions = 1024

func (o Options) withDefaults() Options {
	if o.Partitions <= 0 {
		o.Partitions = 16
	}
	if o.Replicas <= 0 {
		o.Replicas = 1
	}
	if o.DuplicateWindow <= 0 {
		o.DuplicateWindow = 10 * time.Minute
	}
	if o.AckWait <= 0 {
		o.AckWait = 30 * time.Second
	}
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = 10 * time.Second
	}
	return o
}

// resultsWindow bounds the duplicate window of a job's results stream. The
// server keeps every id of the window in memory (a 10-million-line enqueue,
// whose ids all fall in the work stream's window, took nats-server to
// 2.3 GiB), and for records that buys little: only the storage of the rare
// second record, since collect writes the first of each line anyway. Two
// minutes covers the usual second record, from a worker that died between
// publishing and acknowledging, which comes one ack wait (30s) later.
const resultsWindow = 2 * time.Minute

// Job is one URL list being fetched across workers: a work-queue stream of
// URLs partitioned by host, a stream of records, and a key-value bucket for
// the job's size and the workers' leases on partitions.
type Job struct {
	// Name is the job's name; the streams and buckets are named after it.
	Name string
	// Partitions, AckWait and LeaseTTL are as the job was created.
	Partitions int
	AckWait    time.Duration
	LeaseTTL   time.Duration

	js     jetstream.JetStream
	work   jetstream.Stream
	meta   jetstream.KeyValue
	leases jetstream.KeyValue
}

// Info is what enqueue records about a job once the whole list is in.
type Info struct {
	// Total is the number of URLs (input lines that hold one).
	Total int64 `json:"total"`
	// MaxLine is the number of the last input line with a URL.
	MaxLine int `json:"max_line"`
}

// Errors of Open and of the job's readers.
var (
	ErrBadJobName = errors.New("queue: a job name is 1 to 64 letters, digits, '-' or '_'")
	ErrNoJob      = errors.New("queue: no such job (run enqueue first)")
)

// jobName matches a job's name. It is compiled when first used, not when
// the package starts: its repetition makes 64 copies of the class, which
// took 1.2 ms and 870 allocations of every fetchall command's start.
var jobName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`) })

// Header names of work messages and records.
const (
	hdrLine   = "Fetchall-Line"   // the input line number
	hdrError  = "Fetchall-Error"  // why a line read cannot be fetched
	hdrFormat = "Fetchall-Format" // "json" for a line with options of its own
	hdrWorker = "Fetchall-Worker" // the worker that published a record
)

const metaPartitions = "fetchall_partitions"

func (j *Job) workStream() string    { return "FETCHALL_" + j.Name + "_WORK" }
func (j *Job) resultsStream() string { return "FETCHALL_" + j.Name + "_RESULTS" }
func (j *Job) workSubject(p int) string {
	return "fetchall." + j.Name + ".work." + strconv.Itoa(p)
}
func (j *Job) resultsSubject() string    { return "fetchall." + j.Name + ".results" }
func (j *Job) consumerName(p int) string { return "part-" + strconv.Itoa(p) }
func (j *Job) msgID(line int) string     { return j.Name + ":" + strconv.Itoa(line) }

// Open opens the job called name, creating its streams, consumers and
// buckets as opts says if they do not exist yet. Enqueue, workers and
// collect all open the job, in any order. It is safe to call concurrently.
func Open(ctx context.Context, js jetstream.JetStream, name string, opts Options) (*Job, error) {
	return open(ctx, js, name, opts, true)
}

// OpenExisting opens the job called name, which enqueue (or an earlier
// Open) must have created: a job that does not exist is an error wrapping
// [ErrNoJob] that names the jobs there are, and nothing is created. Workers
// and collect use it, so that a mistyped name fails at once rather than
// waiting on a job of its own.
func OpenExisting(ctx context.Context, js jetstream.JetStream, name string) (*Job, error) {
	return open(ctx, js, name, Options{}, false)
}

// noJob is the error for a job that does not exist, naming those that do.
func noJob(ctx context.Context, js jetstream.JetStream, name string) error {
	jobs, err := Jobs(ctx, js)
	switch {
	case err != nil:
		return fmt.Errorf("%w: %q (listing the jobs there are: %v)", ErrNoJob, name, err)
	case len(jobs) == 0:
		return fmt.Errorf("%w: %q; the server has no job", ErrNoJob, name)
	}
	return fmt.Errorf("%w: %q; the jobs there are: %s", ErrNoJob, name, strings.Join(jobs, ", "))
}

// Jobs returns the names of the jobs on the server, sorted.
func Jobs(ctx context.Context, js jetstream.JetStream) ([]string, error) {
	var names []string
	err := retry(ctx, func(ctx context.Context) error {
		names = names[:0]
		l := js.StreamNames(ctx)
		for s := range l.Name() {
			if n, ok := strings.CutPrefix(s, "FETCHALL_"); ok {
				if n, ok := strings.CutSuffix(n, "_WORK"); ok && jobName().MatchString(n) {
					names = append(names, n)
				}
			}
		}
		return l.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("queue: listing jobs: %w", err)
	}
	slices.Sort(names)
	return names, nil
}

func open(ctx context.Context, js jetstream.JetStream, name string, opts Options, create bool) (*Job, error) {
	if !jobName().MatchString(name) {
		return nil, fmt.Errorf("%w: %q", ErrBadJobName, name)
	}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	o := opts.withDefaults()
	j := &Job{Name: name, js: js, AckWait: o.AckWait, LeaseTTL: o.LeaseTTL}
	storage := jetstream.FileStorage
	if o.Memory {
		storage = jetstream.MemoryStorage
	}
	if !create {
		err := retry(ctx, func(ctx context.Context) error {
			_, err := js.Stream(ctx, j.workStream())
			return err
		})
		if errors.Is(err, jetstream.ErrStreamNotFound) {
			return nil, noJob(ctx, js, name)
		}
	}
	// The stream takes the subjects of its partitions and no other: a
	// message published on a partition that does not exist is refused,
	// rather than stored where no consumer would ever read it.
	subjects := make([]string, o.Partitions)
	for p := range subjects {
		subjects[p] = j.workSubject(p)
	}
	work, err := openStream(ctx, js, jetstream.StreamConfig{
		Name:        j.workStream(),
		Description: "fetchall job " + name + ": URLs to fetch, one message per input line",
		Subjects:    subjects,
		Retention:   jetstream.WorkQueuePolicy,
		Storage:     storage,
		Replicas:    o.Replicas,
		Duplicates:  o.DuplicateWindow,
		Metadata:    map[string]string{metaPartitions: strconv.Itoa(o.Partitions)},
	})
	if err != nil {
		return nil, err
	}
	j.work = work
	info := work.CachedInfo()
	j.Partitions, err = strconv.Atoi(info.Config.Metadata[metaPartitions])
	if err != nil || j.Partitions <= 0 {
		return nil, fmt.Errorf("queue: stream %s was not made by fetchall (no partition count)", j.workStream())
	}
	if _, err := openStream(ctx, js, jetstream.StreamConfig{
		Name:        j.resultsStream(),
		Description: "fetchall job " + name + ": one record per input line",
		Subjects:    []string{j.resultsSubject()},
		Retention:   jetstream.LimitsPolicy,
		Storage:     storage,
		Replicas:    o.Replicas,
		Duplicates:  min(info.Config.Duplicates, resultsWindow),
	}); err != nil {
		return nil, err
	}
	// Consumers are created here rather than by whichever worker gets a
	// partition, so that their ack wait is the job's, whoever comes first.
	for p := range j.Partitions {
		if _, err := work.Consumer(ctx, j.consumerName(p)); err == nil {
			continue // made by whoever opened the job first
		}
		err := retry(ctx, func(ctx context.Context) error {
			_, err := work.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
				Durable:       j.consumerName(p),
				FilterSubject: j.workSubject(p),
				AckPolicy:     jetstream.AckExplicitPolicy,
				AckWait:       o.AckWait,
				MaxDeliver:    -1,
				MaxAckPending: 1 << 16,
			})
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("queue: consumer for partition %d: %w", p, err)
		}
	}
	if c, err := work.Consumer(ctx, j.consumerName(0)); err == nil {
		j.AckWait = c.CachedInfo().Config.AckWait
	}
	if j.meta, err = openKV(ctx, js, jetstream.KeyValueConfig{
		Bucket: "fetchall_" + name + "_job", Storage: storage, Replicas: o.Replicas,
	}); err != nil {
		return nil, err
	}
	if j.leases, err = openKV(ctx, js, jetstream.KeyValueConfig{
		Bucket: "fetchall_" + name + "_leases", Storage: storage, Replicas: o.Replicas, TTL: o.LeaseTTL,
	}); err != nil {
		return nil, err
	}
	if st, err := j.leases.Status(ctx); err == nil && st.TTL() > 0 {
		j.LeaseTTL = st.TTL()
	}
	return j, nil
}

// openStream returns the stream named in cfg, creating it if it is not
// there; an existing stream is left as it is.
func openStream(ctx context.Context, js jetstream.JetStream, cfg jetstream.StreamConfig) (jetstream.Stream, error) {
	var s jetstream.Stream
	err := retry(ctx, func(ctx context.Context) error {
		var err error
		s, err = js.Stream(ctx, cfg.Name)
		if errors.Is(err, jetstream.ErrStreamNotFound) {
			s, err = js.CreateStream(ctx, cfg)
			if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
				s, err = js.Stream(ctx, cfg.Name)
			}
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("queue: stream %s: %w", cfg.Name, err)
	}
	return s, nil
}

func openKV(ctx context.Context, js jetstream.JetStream, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	var kv jetstream.KeyValue
	err := retry(ctx, func(ctx context.Context) error {
		var err error
		kv, err = js.KeyValue(ctx, cfg.Bucket)
		if errors.Is(err, jetstream.ErrBucketNotFound) {
			kv, err = js.CreateKeyValue(ctx, cfg)
			if errors.Is(err, jetstream.ErrBucketExists) {
				kv, err = js.KeyValue(ctx, cfg.Bucket)
			}
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("queue: bucket %s: %w", cfg.Bucket, err)
	}
	return kv, nil
}

const infoKey = "info"

// Info returns what enqueue recorded about the job, and false while no
// enqueue has finished.
func (j *Job) Info(ctx context.Context) (Info, bool, error) {
	e, err := j.meta.Get(ctx, infoKey)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Info{}, false, nil
	}
	if err != nil {
		return Info{}, false, fmt.Errorf("queue: reading the job's size: %w", err)
	}
	var in Info
	if err := json.Unmarshal(e.Value(), &in); err != nil {
		return Info{}, false, fmt.Errorf("queue: the job's size is unreadable: %w", err)
	}
	return in, true, nil
}

func (j *Job) setInfo(ctx context.Context, in Info) error {
	b, _ := json.Marshal(in)
	if _, err := j.meta.Put(ctx, infoKey, b); err != nil {
		return fmt.Errorf("queue: recording the job's size: %w", err)
	}
	return nil
}

// Pending returns how many URLs wait in the work queue or are held by
// workers without an acknowledgement.
func (j *Job) Pending(ctx context.Context) (uint64, error) {
	info, err := j.work.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("queue: %w", err)
	}
	return info.State.Msgs, nil
}

// Delete removes the job's streams and buckets.
func (j *Job) Delete(ctx context.Context) error {
	var errs []error
	for _, s := range []string{j.workStream(), j.resultsStream()} {
		if err := j.js.DeleteStream(ctx, s); err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
			errs = append(errs, err)
		}
	}
	for _, b := range []string{"fetchall_" + j.Name + "_job", "fetchall_" + j.Name + "_leases"} {
		if err := j.js.DeleteKeyValue(ctx, b); err != nil && !errors.Is(err, jetstream.ErrBucketNotFound) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Connect connects to the NATS server at url, reconnecting for as long as
// it takes after a server restart, and returns the connection with its
// JetStream context. name identifies the client in the server's
// monitoring.
func Connect(url, name string) (*nats.Conn, jetstream.JetStream, error) {
	return ConnectWith(context.Background(), url, name, ConnectOptions{})
}

// ConnectOptions are the credentials and TLS files of a connection, as
// nats.go takes them, and how long to wait for a server that is down.
// Empty fields are not used.
type ConnectOptions struct {
	// Creds is a credentials file (a user JWT and its nkey seed).
	Creds string
	// NKey is a file holding a user's nkey seed.
	NKey string
	// User and Password authenticate by name; Token by token.
	User, Password, Token string
	// CA is a file of PEM certificates to verify the server's with, for a
	// server whose certificate is not signed by a public authority;
	// Cert and Key are the client's certificate and key, for a server that
	// asks for one. A tls:// URL requires TLS; CA, Cert or Key imply it.
	CA, Cert, Key string
	// Wait is how long to keep trying, with backoff, while no server of
	// url can be reached (0: fail at once). A refused authentication fails
	// at once whatever Wait.
	Wait time.Duration
	// Logger, when set, is told of each failed try.
	Logger *slog.Logger
}

// ConnectWith is Connect with credentials, TLS files and a wait for a
// server that is down, as opts says.
func ConnectWith(ctx context.Context, url, name string, opts ConnectOptions) (*nats.Conn, jetstream.JetStream, error) {
	nopts := []nats.Option{nats.Name(name), nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond), nats.RetryOnFailedConnect(false)}
	if opts.Creds != "" {
		nopts = append(nopts, nats.UserCredentials(opts.Creds))
	}
	if opts.NKey != "" {
		o, err := nats.NkeyOptionFromSeed(opts.NKey)
		if err != nil {
			return nil, nil, fmt.Errorf("queue: nkey: %w", err)
		}
		nopts = append(nopts, o)
	}
	if opts.User != "" || opts.Password != "" {
		nopts = append(nopts, nats.UserInfo(opts.User, opts.Password))
	}
	if opts.Token != "" {
		nopts = append(nopts, nats.Token(opts.Token))
	}
	if opts.CA != "" {
		nopts = append(nopts, nats.RootCAs(opts.CA))
	}
	if opts.Cert != "" || opts.Key != "" {
		nopts = append(nopts, nats.ClientCert(opts.Cert, opts.Key))
	}
	var nc *nats.Conn
	var err error
	deadline := time.Now().Add(opts.Wait)
	for wait := 250 * time.Millisecond; ; wait = min(2*wait, 5*time.Second) {
		nc, err = nats.Connect(url, nopts...)
		if err == nil || !errors.Is(err, nats.ErrNoServers) || !time.Now().Add(wait).Before(deadline) {
			break
		}
		if opts.Logger != nil {
			opts.Logger.Warn("NATS cannot be reached; trying again", "url", RedactURL(url), "in", wait, "err", err)
		}
		select {
		case <-ctx.Done():
			return nil, nil, fmt.Errorf("queue: connecting to %s: %w (%w)", RedactURL(url), err, context.Cause(ctx))
		case <-time.After(wait):
		}
	}
	if err != nil {
		return nil, nil, fmt.Errorf("queue: connecting to %s: %w", RedactURL(url), err)
	}
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(4096),
		jetstream.WithPublishAsyncTimeout(10*time.Second))
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("queue: %w", err)
	}
	return nc, js, nil
}

// openTimeout bounds how long Open waits for a cluster that is electing
// leaders (after the loss of a server, say) or a server that is starting.
const openTimeout = 30 * time.Second

// retry calls fn until it succeeds, fails for good, ctx ends or openTimeout
// passes: a JetStream API call that timed out, or found no JetStream to
// answer it, is tried again after a pause.
func retry(ctx context.Context, fn func(ctx context.Context) error) error {
	deadline := time.Now().Add(openTimeout)
	for wait := 100 * time.Millisecond; ; wait = min(2*wait, 2*time.Second) {
		callCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := fn(callCtx)
		cancel()
		transient := errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) ||
			errors.Is(err, nats.ErrNoResponders) || errors.Is(err, jetstream.ErrJetStreamNotEnabled) ||
			errors.Is(err, jetstream.ErrNoStreamResponse) || unavailable(err)
		if err == nil || !transient || ctx.Err() != nil || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
	}
}

// unavailable reports a JetStream API error 503: the cluster has no leader
// for the asset yet.
func unavailable(err error) bool {
	var api *jetstream.APIError
	return errors.As(err, &api) && api.Code == 503
}

// RedactURL returns the NATS server URL (or comma-separated URLs) u with
// any credential in it hidden, for printing and logging: a password
// becomes "xxxxx", and so does a user name that stands alone, which NATS
// reads as a token. A part that does not parse as a URL is hidden whole
// if it holds an '@'.
func RedactURL(u string) string {
	parts := strings.Split(u, ",")
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if !strings.Contains(p, "@") {
			parts[i] = p
			continue
		}
		pu, err := neturl.Parse(p)
		switch {
		case err != nil || pu.Host == "":
			parts[i] = "xxxxx@" + p[strings.LastIndex(p, "@")+1:]
		case pu.User == nil:
			parts[i] = p
		default:
			if _, hasPassword := pu.User.Password(); hasPassword {
				pu.User = neturl.UserPassword(pu.User.Username(), "xxxxx")
			} else {
				pu.User = neturl.User("xxxxx")
			}
			parts[i] = pu.String()
		}
	}
	return strings.Join(parts, ",")
}
