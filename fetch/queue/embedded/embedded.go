// Package embedded runs a NATS server with JetStream inside the process,
// listening on 127.0.0.1 only: for the tests of package queue and for
// fetchall cluster-demo, which need a queue but no network and nothing
// installed.
package embedded

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Options says how to start the server. The zero value is a server on a
// free port with its storage in a fresh temporary directory.
type Options struct {
	// Port is the client port on 127.0.0.1; 0 picks a free one.
	Port int
	// Dir is where JetStream keeps its file storage. Empty means a new
	// temporary directory that Shutdown removes; a directory given here is
	// kept, so that a server restarted on it finds its streams again.
	Dir string
	// Users maps the user names the server lets in to their passwords;
	// with NKeys, they replace the default of letting anyone in.
	Users map[string]string
	// NKeys are the public keys of the users let in by their nkey.
	NKeys []string
	// Permissions, by user name (of Users), limit what the user may
	// publish and subscribe to; a user without an entry may do anything.
	Permissions map[string]Permissions
	// TLS, when set, makes the server accept TLS connections only, with
	// this configuration; with ClientAuth tls.RequireAndVerifyClientCert,
	// a client needs a certificate from ClientCAs. URL is then tls://.
	TLS *tls.Config
}

// Permissions are the subjects a user may publish and subscribe to
// (wildcards allowed); nil allows all.
type Permissions struct {
	Publish, Subscribe []string
}

// Server is a running embedded NATS server.
type Server struct {
	// URL is the client URL, like "nats://127.0.0.1:41235".
	URL string
	// Port is the client port, to restart a server at the same URL.
	Port int

	srv     *server.Server
	tempDir string
}

// Start starts a server and returns once it accepts connections.
func Start(opts Options) (*Server, error) {
	s := &Server{}
	dir := opts.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "fetchall-nats-")
		if err != nil {
			return nil, fmt.Errorf("embedded nats: %w", err)
		}
		dir, s.tempDir = d, d
	}
	port := opts.Port
	if port == 0 {
		port = server.RANDOM_PORT
	}
	so := &server.Options{
		ServerName: "fetchall-embedded",
		Host:       "127.0.0.1",
		Port:       port,
		JetStream:  true,
		StoreDir:   dir,
		NoLog:      true,
		NoSigs:     true,
		// The HTTP monitor, cluster and leaf ports stay closed.
	}
	for u, p := range opts.Users {
		user := &server.User{Username: u, Password: p}
		if perm, ok := opts.Permissions[u]; ok {
			user.Permissions = &server.Permissions{}
			if perm.Publish != nil {
				user.Permissions.Publish = &server.SubjectPermission{Allow: perm.Publish}
			}
			if perm.Subscribe != nil {
				user.Permissions.Subscribe = &server.SubjectPermission{Allow: perm.Subscribe}
			}
		}
		so.Users = append(so.Users, user)
	}
	for _, k := range opts.NKeys {
		so.Nkeys = append(so.Nkeys, &server.NkeyUser{Nkey: k})
	}
	if opts.TLS != nil {
		so.TLS, so.TLSConfig, so.TLSTimeout = true, opts.TLS, 5
		so.TLSVerify = opts.TLS.ClientAuth == tls.RequireAndVerifyClientCert
	}
	srv, err := server.NewServer(so)
	if err != nil {
		s.cleanup()
		return nil, fmt.Errorf("embedded nats: %w", err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(20 * time.Second) {
		srv.Shutdown()
		srv.WaitForShutdown()
		s.cleanup()
		return nil, errors.New("embedded nats: the server did not start within 20s")
	}
	s.srv = srv
	s.URL = srv.ClientURL()
	if opts.TLS != nil {
		s.URL = strings.Replace(s.URL, "nats://", "tls://", 1)
	}
	if a, ok := srv.Addr().(*net.TCPAddr); ok {
		s.Port = a.Port
	}
	return s, nil
}

// Shutdown stops the server, waits until it has stopped, and removes its
// storage if Start made it.
func (s *Server) Shutdown() {
	s.srv.Shutdown()
	s.srv.WaitForShutdown()
	s.cleanup()
}

func (s *Server) cleanup() {
	if s.tempDir != "" {
		os.RemoveAll(s.tempDir)
	}
}
