package queue

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/asyncgo/async/fetch/queue/embedded"
	"github.com/nats-io/nkeys"
)

func openWith(t *testing.T, url string, opts ConnectOptions) error {
	t.Helper()
	nc, js, err := ConnectWith(context.Background(), url, t.Name(), opts)
	if err != nil {
		return err
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = Open(ctx, js, "sec", testOptions)
	return err
}

// A server that wants a user and password, or an nkey, lets in the client
// that has them, and refuses one that has not, at once even when told to
// wait for the server.
func TestConnectWithCredentials(t *testing.T) {
	user, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := user.PublicKey()
	seed, _ := user.Seed()
	seedFile := filepath.Join(t.TempDir(), "user.nk")
	if err := os.WriteFile(seedFile, seed, 0o600); err != nil {
		t.Fatal(err)
	}
	srv := startNATS(t, embedded.Options{Users: map[string]string{"alice": "s3cret"}, NKeys: []string{pub}})
	if err := openWith(t, srv.URL, ConnectOptions{User: "alice", Password: "s3cret"}); err != nil {
		t.Errorf("user and password: %v", err)
	}
	if err := openWith(t, srv.URL, ConnectOptions{NKey: seedFile}); err != nil {
		t.Errorf("nkey: %v", err)
	}
	start := time.Now()
	err = openWith(t, srv.URL, ConnectOptions{User: "alice", Password: "wrong", Wait: 30 * time.Second})
	if err == nil || !strings.Contains(strings.ToLower(err.Error()), "authorization") || time.Since(start) > 10*time.Second {
		t.Errorf("a wrong password: %v after %v; want an authorization error at once", err, time.Since(start))
	}
	if err := openWith(t, srv.URL, ConnectOptions{}); err == nil {
		t.Error("no credentials: let in")
	}
}

// certs makes a CA, a server certificate for 127.0.0.1 and a client
// certificate, and writes them as PEM files.
func certs(t *testing.T) (dir string, serverTLS *tls.Config) {
	t.Helper()
	dir = t.TempDir()
	key := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	write := func(name, typ string, der []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	caKey := key()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	write("ca.pem", "CERTIFICATE", caDER)
	issue := func(name string, serial int64, usage x509.ExtKeyUsage) tls.Certificate {
		k := key()
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			ExtKeyUsage: []x509.ExtKeyUsage{usage}, KeyUsage: x509.KeyUsageDigitalSignature,
			IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		kder, _ := x509.MarshalECPrivateKey(k)
		write(name+".pem", "CERTIFICATE", der)
		write(name+"-key.pem", "EC PRIVATE KEY", kder)
		c, err := tls.LoadX509KeyPair(filepath.Join(dir, name+".pem"), filepath.Join(dir, name+"-key.pem"))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	serverCert := issue("server", 2, x509.ExtKeyUsageServerAuth)
	issue("client", 3, x509.ExtKeyUsageClientAuth)
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return dir, &tls.Config{Certificates: []tls.Certificate{serverCert}, ClientCAs: pool,
		ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS12}
}

// tls:// with a CA of one's own and a client certificate: the client that
// trusts the CA and presents its certificate gets in; without either, it
// does not.
func TestConnectTLSWithCustomCA(t *testing.T) {
	dir, serverTLS := certs(t)
	srv := startNATS(t, embedded.Options{TLS: serverTLS})
	if !strings.HasPrefix(srv.URL, "tls://") {
		t.Fatalf("URL %s; want tls://", srv.URL)
	}
	f := func(name string) string { return filepath.Join(dir, name) }
	if err := openWith(t, srv.URL, ConnectOptions{CA: f("ca.pem"), Cert: f("client.pem"), Key: f("client-key.pem")}); err != nil {
		t.Errorf("CA and client certificate: %v", err)
	}
	if err := openWith(t, srv.URL, ConnectOptions{Cert: f("client.pem"), Key: f("client-key.pem")}); err == nil {
		t.Error("a server certificate from an unknown CA was trusted")
	}
	if err := openWith(t, srv.URL, ConnectOptions{CA: f("ca.pem")}); err == nil {
		t.Error("let in without a client certificate")
	}
}

// A client told to wait for a server that is down keeps trying, and
// connects once the server is up; one not told to fails at once.
func TestConnectWaitsForTheServer(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	url := "nats://127.0.0.1:" + strings.TrimPrefix(l.Addr().String(), "127.0.0.1:")
	if _, _, err := ConnectWith(context.Background(), url, t.Name(), ConnectOptions{}); err == nil {
		t.Fatal("connected to a server that is down")
	}
	done := make(chan error, 1)
	go func() {
		nc, _, err := ConnectWith(context.Background(), url, t.Name(), ConnectOptions{Wait: 30 * time.Second})
		if err == nil {
			nc.Close()
		}
		done <- err
	}()
	time.Sleep(time.Second)
	select {
	case err := <-done:
		t.Fatalf("gave up before the server started: %v", err)
	default:
	}
	startNATS(t, embedded.Options{Port: port})
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("after the server started: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Error("still not connected 20s after the server started")
	}
}
