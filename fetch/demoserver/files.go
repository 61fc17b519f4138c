package demoserver

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// content is the byte at offset off of every body the server sends: the
// same block repeated, so that any range of any file can be checked.
func content(off int64) byte {
	b := block()
	return b[off%int64(len(b))]
}

// Content returns the first n bytes of what /file?size=N (N ≥ n) serves,
// for tests that check a saved file.
func Content(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = content(int64(i))
	}
	return b
}

// pattern is a file of the block repeated, as an io.ReaderAt.
type pattern struct{}

func (pattern) ReadAt(p []byte, off int64) (int, error) {
	for i := range p {
		p[i] = content(off + int64(i))
	}
	return len(p), nil
}

// file serves a file with the faults of a real download server: Range
// ignored, a 206 that starts elsewhere, a connection dropped mid-body.
func (s *Server) file(w http.ResponseWriter, r *http.Request) {
	size := int64(max(intParam(r, "size", 100<<10), 0))
	body := io.NewSectionReader(pattern{}, 0, size)
	ranged := r.Header.Get("Range") != ""
	switch mode := r.URL.Query().Get("range"); {
	case mode == "ignore" || !ranged && r.URL.Query().Has("cut"):
		w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
		w.WriteHeader(http.StatusOK)
		n := size
		if cut := int64(intParam(r, "cut", -1)); !ranged && cut >= 0 {
			n = min(cut, size)
		}
		io.CopyN(w, body, n)
		if n < size {
			if f, ok := w.(http.Flusher); ok {
				f.Flush()
			}
			panic(http.ErrAbortHandler) // the client sees the connection end mid-body
		}
	case mode == "wrong" && ranged:
		w.Header().Set("Content-Range", fmt.Sprintf("bytes 0-%d/%d", size-1, size))
		w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
		w.WriteHeader(http.StatusPartialContent)
		io.Copy(w, body)
	default:
		http.ServeContent(w, r, "", time.Time{}, body)
	}
}

// gzip sends size bytes, compressed when the request accepts gzip.
func (s *Server) gzip(w http.ResponseWriter, r *http.Request) {
	size := max(intParam(r, "size", 10<<10), 0)
	w.Header().Set("Content-Type", "text/plain")
	w.Header().Set("Vary", "Accept-Encoding")
	if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		writeBody(w, size)
		return
	}
	w.Header().Set("Content-Encoding", "gzip")
	zw := gzip.NewWriter(w)
	writeBody(zw, size)
	zw.Close()
}

// Echo is what /echo answers: a description of the request it got.
type Echo struct {
	Method     string              `json:"method"`
	Host       string              `json:"host"`
	Header     map[string][]string `json:"header"`
	Body       string              `json:"body"`
	ClientCert string              `json:"client_cert,omitempty"` // the common name of the client's certificate
}

func (s *Server) echo(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	e := Echo{Method: r.Method, Host: r.Host, Header: r.Header, Body: string(body)}
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		e.ClientCert = r.TLS.PeerCertificates[0].Subject.CommonName
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(e)
}
