package fetch

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/zlib"
	"github.com/klauspost/compress/zstd"
)

// encodedServer serves plain under the encoding named by ?enc= (as
// Content-Encoding, the name given in ?as= when set), and records the
// Accept-Encoding it was sent.
func encodedServer(t *testing.T, plain []byte) (*httptest.Server, *recorder) {
	t.Helper()
	rc := &recorder{}
	ts := httptest.NewServer(rc.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		enc := r.URL.Query().Get("enc")
		var buf bytes.Buffer
		var zw io.WriteCloser
		switch enc {
		case "gzip":
			zw = gzip.NewWriter(&buf)
		case "deflate":
			zw = zlib.NewWriter(&buf)
		case "rawdeflate":
			zw, _ = flate.NewWriter(&buf, 5)
			enc = "deflate"
		case "br":
			zw = brotli.NewWriter(&buf)
		case "zstd":
			zw, _ = zstd.NewWriter(&buf)
		case "garbage":
			buf.WriteString("this is not gzip at all")
			enc = "gzip"
		case "truncated":
			g := gzip.NewWriter(&buf)
			g.Write(plain)
			g.Close()
			buf.Truncate(buf.Len() / 2)
			enc = "gzip"
		case "xz":
			buf.Write(plain)
		}
		if zw != nil {
			zw.Write(plain)
			zw.Close()
		}
		if as := r.URL.Query().Get("as"); as != "" {
			enc = as
		}
		w.Header().Set("Content-Encoding", enc)
		if r.URL.Query().Get("cut") != "" {
			// The connection drops half way: a network error, not one of
			// decoding.
			w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
			w.Write(buf.Bytes()[:buf.Len()/2])
			panic(http.ErrAbortHandler)
		}
		w.Write(buf.Bytes())
	})))
	t.Cleanup(ts.Close)
	return ts, rc
}

// TestCompressedDecodesEveryEncoding: with Compressed, deflate (zlib, or
// raw as some servers send it), gzip, br and zstd are asked for and
// decoded; bytes and SHA-256 are the decoded body's, and the record says
// which encoding came.
func TestCompressedDecodesEveryEncoding(t *testing.T) {
	plain := bytes.Repeat([]byte("fetchall decodes what it asked for. "), 3000)
	sum := sha256.Sum256(plain)
	ts, rc := encodedServer(t, plain)
	cfg := Config{Timeout: 5e9, Retries: -1, Compressed: true, SHA256: true}
	for _, enc := range []string{"gzip", "deflate", "rawdeflate", "br", "zstd"} {
		r := fetchOne(t, cfg, ts.URL+"/?enc="+enc)
		want := strings.TrimPrefix(enc, "raw")
		if r.Outcome != OK || r.Bytes != int64(len(plain)) || r.SHA256 != hex.EncodeToString(sum[:]) || r.ContentEncoding != want {
			t.Errorf("%s: %s %q, %d bytes, encoding %q; want the %d decoded bytes", enc, r.Outcome, r.Error, r.Bytes, r.ContentEncoding, len(plain))
		}
	}
	if got := rc.last().Header.Get("Accept-Encoding"); got != "deflate, gzip, br, zstd" {
		t.Errorf("Accept-Encoding %q, want curl's \"deflate, gzip, br, zstd\"", got)
	}
	// Without Compressed, the body is taken as it came, and still named.
	r := fetchOne(t, Config{Timeout: 5e9, Retries: -1}, ts.URL+"/?enc=br")
	if r.Outcome != OK || r.Bytes == int64(len(plain)) || r.ContentEncoding != "br" {
		t.Errorf("not asked: %s %d bytes, encoding %q", r.Outcome, r.Bytes, r.ContentEncoding)
	}
	if got := rc.last().Header.Get("Accept-Encoding"); got != "" {
		t.Errorf("not asked, yet Accept-Encoding %q was sent", got)
	}
	// An empty body under an encoding (a HEAD, a 204) is no error.
	r = fetchOne(t, Config{Timeout: 5e9, Retries: -1, Compressed: true, Method: "HEAD"}, ts.URL+"/?enc=gzip")
	if r.Outcome != OK || r.Bytes != 0 {
		t.Errorf("HEAD: %s %q %d bytes", r.Outcome, r.Error, r.Bytes)
	}
}

// TestCompressedGoHTTPBinDeflate: go-httpbin's /deflate, whose zlib body
// was saved encoded, is saved as the JSON it encodes.
func TestCompressedGoHTTPBinDeflate(t *testing.T) {
	ts, _ := startHTTPBin(t)
	dir := t.TempDir()
	for _, path := range []string{"/deflate", "/gzip"} {
		r := fetchOne(t, Config{Timeout: 5e9, Retries: -1, Compressed: true, SaveDir: dir}, ts.URL+path)
		body, err := os.ReadFile(r.SavedAs)
		if err != nil {
			t.Fatal(err)
		}
		var v map[string]any
		if err := json.Unmarshal(body, &v); err != nil || r.Bytes != int64(len(body)) || r.ContentEncoding != path[1:] {
			t.Errorf("%s: saved %q (%v), %d bytes recorded, encoding %q", path, body[:min(len(body), 40)], err, r.Bytes, r.ContentEncoding)
		}
	}
}

// TestBodyThatFailsToDecode: a body that is not what its Content-Encoding
// says, or in an encoding not asked for, fails with its own class and no
// retry (curl's exit 61); a connection lost in the middle of an encoded
// body is still a network error, retried.
func TestBodyThatFailsToDecode(t *testing.T) {
	ts, _ := encodedServer(t, bytes.Repeat([]byte("x"), 10000))
	cfg := Config{Timeout: 5e9, Retries: 3, RetryBase: 1e6, RetryMax: 1e6, Compressed: true}
	for _, q := range []string{"enc=garbage", "enc=truncated", "enc=xz", "enc=gzip&as=gzip,+xz"} {
		r := fetchOne(t, cfg, ts.URL+"/?"+q)
		if r.Outcome != Failed || r.ErrorKind != KindDecode || r.Attempts != 1 {
			t.Errorf("%s: %s %s after %d attempts: %q", q, r.Outcome, r.ErrorKind, r.Attempts, r.Error)
		}
	}
	r := fetchOne(t, cfg, ts.URL+"/?enc=gzip&cut=1")
	if r.Outcome != Failed || r.ErrorKind == KindDecode || r.Attempts != 4 {
		t.Errorf("cut: %s %s after %d attempts: %q", r.Outcome, r.ErrorKind, r.Attempts, r.Error)
	}
}
