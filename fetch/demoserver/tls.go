package demoserver

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"time"
)

// StartTLS starts a server like [Start] that speaks HTTPS with a
// certificate for 127.0.0.1 and localhost, signed by a CA made for this
// server alone: a client trusts it only with [Server.CACertPEM], as curl
// --cacert would give it. The server asks for a client certificate and
// accepts one signed by the same CA (see [Server.ClientCert]); /echo tells
// which one it got.
func StartTLS() (*Server, error) {
	ca, err := newAuthority()
	if err != nil {
		return nil, fmt.Errorf("demoserver: %w", err)
	}
	return listen(ca)
}

// CACertPEM returns the PEM certificate of the CA that signed the server's
// certificate, or nil for a server started with [Start].
func (s *Server) CACertPEM() []byte {
	if s.ca == nil {
		return nil
	}
	return s.ca.certPEM
}

// ClientCert returns a client certificate for the common name cn, signed
// by the server's CA, and its private key, both PEM-encoded. It fails for a
// server started with [Start].
func (s *Server) ClientCert(cn string) (certPEM, keyPEM []byte, err error) {
	if s.ca == nil {
		return nil, nil, fmt.Errorf("demoserver: ClientCert needs a server started with StartTLS")
	}
	return s.ca.issue(cn, x509.ExtKeyUsageClientAuth)
}

// authority is a throwaway certificate authority.
type authority struct {
	cert    *x509.Certificate
	key     *ecdsa.PrivateKey
	certPEM []byte
}

func newAuthority() (*authority, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "demoserver test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &authority{cert: cert, key: key, certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}, nil
}

// issue makes a leaf certificate for cn (also its DNS name) and 127.0.0.1.
func (a *authority) issue(cn string, usage x509.ExtKeyUsage) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: cn},
		DNSNames:     []string{cn},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, a.cert, &key.PublicKey, a.key)
	if err != nil {
		return nil, nil, err
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), nil
}

// serverConfig is the server's TLS configuration: a certificate for
// localhost and 127.0.0.1, and client certificates from the CA accepted
// when given.
func (a *authority) serverConfig() (*tls.Config, error) {
	certPEM, keyPEM, err := a.issue("localhost", x509.ExtKeyUsageServerAuth)
	if err != nil {
		return nil, err
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(a.cert)
	return &tls.Config{Certificates: []tls.Certificate{cert}, ClientAuth: tls.VerifyClientCertIfGiven, ClientCAs: pool}, nil
}
