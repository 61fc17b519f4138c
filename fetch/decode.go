package fetch

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zlib"
	"github.com/klauspost/compress/zstd"
)

// acceptEncoding is what Config.Compressed asks for: curl --compressed's
// list, in its order.
const acceptEncoding = "deflate, gzip, br, zstd"

// errDecode marks a body that does not decode as its Content-Encoding
// says, or in an encoding the engine does not know. It is final: the
// server would send the same bytes again (curl's exit 61).
var errDecode = errors.New("bad content encoding")

// zstdMaxWindow bounds the memory a zstd body may ask for: libzstd's
// default limit (window log 27), which curl decodes with. A larger window
// is a decoding error rather than 512 MiB per request.
const zstdMaxWindow = 128 << 20

// contentEncodings returns the codings of a response, in the order they
// were applied, without identity; nil for none.
func contentEncodings(h http.Header) []string {
	var codings []string
	for _, v := range h.Values("Content-Encoding") {
		for c := range strings.SplitSeq(v, ",") {
			c = strings.ToLower(strings.TrimSpace(c))
			if c != "" && c != "identity" {
				codings = append(codings, c)
			}
		}
	}
	return codings
}

// decodedBody reads a body through the decoders of its codings, undoing
// the last applied first. The decoders are made at the first Read, since
// most read a header when made. An error of the body itself (a lost
// connection, a timeout) is returned as it is, to be classed and retried
// as such; any other error of a decoder is one of decoding.
type decodedBody struct {
	src     *sourceBody
	codings []string
	r       io.Reader
	closers []io.Closer
	err     error
}

// sourceBody remembers the body's own error, and whether it gave bytes.
type sourceBody struct {
	r   io.Reader
	n   int64
	err error
}

func (s *sourceBody) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	s.n += int64(n)
	if err != nil && err != io.EOF {
		s.err = err
	}
	return n, err
}

func newDecodedBody(body io.Reader, codings []string) *decodedBody {
	return &decodedBody{src: &sourceBody{r: body}, codings: codings}
}

func (d *decodedBody) Read(p []byte) (int, error) {
	if d.err != nil {
		return 0, d.err
	}
	if d.r == nil {
		r, err := d.open()
		if err != nil {
			d.err = d.classify(err)
			return 0, d.err
		}
		d.r = r
	}
	n, err := d.r.Read(p)
	if err != nil && err != io.EOF {
		d.err = d.classify(err)
		return n, d.err
	}
	return n, err
}

// classify tells the body's own error from the decoders'. An empty body
// (a HEAD, a 204) has nothing to decode and is no error.
func (d *decodedBody) classify(err error) error {
	switch {
	case d.src.err != nil:
		return d.src.err
	case d.src.n == 0 && (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)):
		return io.EOF
	}
	return fmt.Errorf("%w: %s body: %w", errDecode, strings.Join(d.codings, ", "), err)
}

func (d *decodedBody) open() (io.Reader, error) {
	var r io.Reader = d.src
	for i := len(d.codings) - 1; i >= 0; i-- {
		var err error
		switch c := d.codings[i]; c {
		case "gzip", "x-gzip":
			var z *gzip.Reader
			if z, err = gzip.NewReader(r); err == nil {
				r = z
			}
		case "deflate":
			r, err = d.inflate(r)
		case "br":
			r = brotli.NewReader(r)
		case "zstd":
			var z *zstd.Decoder
			z, err = zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(zstdMaxWindow))
			if err == nil {
				d.closers = append(d.closers, zstdCloser{z})
				r = z
			}
		default:
			return nil, fmt.Errorf("unknown encoding %q (deflate, gzip, br and zstd are decoded)", c)
		}
		if err != nil {
			return nil, err
		}
	}
	return r, nil
}

// inflate decodes deflate, which RFC 9110 says is zlib; some servers send
// raw deflate under the name, which curl decodes too: the zlib header tells.
func (d *decodedBody) inflate(r io.Reader) (io.Reader, error) {
	br := bufio.NewReader(r)
	h, err := br.Peek(2)
	if err != nil {
		return nil, err
	}
	if h[0]&0x0f == 8 && (uint16(h[0])<<8|uint16(h[1]))%31 == 0 {
		z, err := zlib.NewReader(br)
		if err != nil {
			return nil, err
		}
		d.closers = append(d.closers, z)
		return z, nil
	}
	f := flate.NewReader(br)
	d.closers = append(d.closers, f)
	return f, nil
}

// Close releases the decoders (zstd's holds buffers until closed).
func (d *decodedBody) Close() {
	for _, c := range d.closers {
		c.Close()
	}
}

type zstdCloser struct{ z *zstd.Decoder }

func (c zstdCloser) Close() error { c.z.Close(); return nil }
