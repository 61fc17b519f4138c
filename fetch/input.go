package fetch

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/url"
	"strconv"
	"strings"
)

// Input is one URL to fetch, with the number of the input line it came from
// (1-based; 0 when it did not come from a line-oriented source).
type Input struct {
	Line int
	URL  string
	// Err, when set, says why the line cannot be fetched although it was
	// read (for example a line longer than [MaxLineLength]); the engine
	// turns it into an invalid record instead of a request.
	Err error
}

// MaxLineLength is the longest input line accepted as a URL. Longer lines
// are read to their end and reported as invalid, so a stray binary file
// cannot make the reader buffer without bound.
const MaxLineLength = 64 << 10

// ErrLineTooLong is the Err of an [Input] whose line exceeded [MaxLineLength].
var ErrLineTooLong = fmt.Errorf("line longer than %d bytes", MaxLineLength)

// ParseLine returns the URL that an input line holds, and false for lines
// that hold none: blank lines and comments (lines whose first non-blank
// character is '#'). Surrounding white space, a trailing carriage return and
// a UTF-8 byte order mark are removed. The URL is not validated; see
// [ParseURL].
func ParseLine(line string) (string, bool) {
	line = strings.TrimPrefix(line, "\uFEFF")
	line = strings.TrimSpace(line)
	if line == "" || line[0] == '#' {
		return "", false
	}
	return line, true
}

// URL errors. A [*URLError] wraps one of them, so errors.Is tells the kind.
var (
	ErrInvalidURL        = errors.New("invalid URL")
	ErrUnsupportedScheme = errors.New("unsupported scheme")
)

// URLError reports an input URL that cannot be fetched.
type URLError struct {
	URL    string
	Reason string
	Err    error // ErrInvalidURL or ErrUnsupportedScheme
}

func (e *URLError) Error() string { return e.Err.Error() + ": " + e.Reason }
func (e *URLError) Unwrap() error { return e.Err }

// ParseURL parses raw as an absolute http or https URL with a host, the only
// kind the engine fetches. Any other input gives a [*URLError].
func ParseURL(raw string) (*url.URL, error) {
	if strings.ContainsAny(raw, " \t\r\n") {
		return nil, &URLError{URL: raw, Reason: "contains white space", Err: ErrInvalidURL}
	}
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		reason := err.Error()
		if errors.As(err, &ue) {
			reason = ue.Err.Error()
		}
		return nil, &URLError{URL: raw, Reason: reason, Err: ErrInvalidURL}
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
	case "":
		return nil, &URLError{URL: raw, Reason: "no scheme (want http:// or https://)", Err: ErrUnsupportedScheme}
	default:
		return nil, &URLError{URL: raw, Reason: fmt.Sprintf("%q (want http or https)", u.Scheme), Err: ErrUnsupportedScheme}
	}
	if u.Host == "" || u.Hostname() == "" {
		return nil, &URLError{URL: raw, Reason: "no host", Err: ErrInvalidURL}
	}
	if p := u.Port(); p != "" {
		// url.Parse checks that a port is digits, not that it is one.
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, &URLError{URL: raw, Reason: fmt.Sprintf("port %s is not in 1-65535", p), Err: ErrInvalidURL}
		}
	}
	return u, nil
}

// Lines returns the URLs of r, one per line, skipping blank lines and
// comments (see [ParseLine]). It reads lazily, as the sequence is consumed,
// and holds at most one line in memory. A read error ends the sequence by
// yielding it with a zero Input.
func Lines(r io.Reader) iter.Seq2[Input, error] {
	return func(yield func(Input, error) bool) {
		br := bufio.NewReaderSize(r, 64<<10)
		var long []byte
		for n := 1; ; n++ {
			line, tooLong, err := readLine(br, &long)
			if len(line) > 0 || tooLong {
				if tooLong {
					if !yield(Input{Line: n, URL: line, Err: ErrLineTooLong}, nil) {
						return
					}
				} else if u, ok := ParseLine(line); ok {
					if !yield(Input{Line: n, URL: u}, nil) {
						return
					}
				}
			}
			if err == io.EOF {
				return
			}
			if err != nil {
				yield(Input{}, err)
				return
			}
		}
	}
}

// readLine reads one line without its newline. A line over MaxLineLength is
// consumed to its end; the first 256 bytes are returned with tooLong set.
func readLine(br *bufio.Reader, buf *[]byte) (line string, tooLong bool, err error) {
	*buf = (*buf)[:0]
	for {
		chunk, err := br.ReadSlice('\n')
		if !tooLong {
			if len(*buf)+len(chunk) > MaxLineLength+1 { // +1: the newline
				tooLong = true
				*buf = append(*buf, chunk...)[:256]
			} else {
				*buf = append(*buf, chunk...)
			}
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		s := strings.TrimSuffix(string(*buf), "\n")
		if tooLong && len(s) > 256 {
			s = s[:256]
		}
		return s, tooLong, err
	}
}

// Slice returns the URLs as a sequence of inputs numbered from 1, for
// callers that already hold their list in memory. Blank entries and comments
// are skipped as in [Lines].
func Slice(urls []string) iter.Seq2[Input, error] {
	return func(yield func(Input, error) bool) {
		for i, raw := range urls {
			if u, ok := ParseLine(raw); ok {
				if !yield(Input{Line: i + 1, URL: u}, nil) {
					return
				}
			}
		}
	}
}
