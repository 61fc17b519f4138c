package fetch

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
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
	// Options, when not nil, are the line's own settings for its request
	// (see [ParseInputLine]); a pointer keeps Input comparable.
	Options *LineOptions
}

// LineOptions are the settings an input line may carry for its own
// request, over the run's [Config].
type LineOptions struct {
	// Method replaces Config.Method when not empty. Without one, a line
	// with a Body goes out as POST when Config.Method is GET, as curl -d
	// does.
	Method string
	// Header is sent over Config.Header: a name set here replaces the
	// run's values for it.
	Header http.Header
	// Body, when not nil, replaces Config.Body (an empty body included).
	Body []byte
	// Out is the file name the body is saved under, in Config.SaveDir or,
	// without one, the current directory (aria2's out option). It is a
	// plain name: no directories, not "." or "..".
	Out string
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
// [ParseURL]. Options the line carries are left out; see [ParseInputLine].
func ParseLine(line string) (string, bool) {
	in, ok := ParseInputLine(line)
	return in.URL, ok
}

// ErrBadLine marks the Err of an [Input] whose line holds options that do
// not parse.
var ErrBadLine = errors.New("bad input line")

// ParseInputLine parses an input line as [Lines] does, into an [Input]
// without its line number, and false for blank lines and comments. A line
// is one of:
//
//   - a URL;
//   - a URL followed, after white space, by out=NAME: the file its body is
//     saved under (aria2's out option; a URL holds no white space, so the
//     two cannot be confused); any other word=value there is an unknown
//     option, and NAME holds no white space (a JSON line's out may);
//   - a JSON object with the fields url (required), method, headers (an
//     object of strings, or of lists of strings), body (a string) and out,
//     as in {"url":"https://a.example/api","method":"POST","body":"{}"}.
//
// A line whose options do not parse gives an Input whose Err wraps
// [ErrBadLine], with the line as its URL, so that it gets an invalid record.
func ParseInputLine(line string) (Input, bool) {
	line = strings.TrimPrefix(line, "\uFEFF")
	line = strings.TrimSpace(line)
	if line == "" || line[0] == '#' {
		return Input{}, false
	}
	if line[0] == '{' {
		return parseJSONLine(line), true
	}
	if i := strings.IndexAny(line, " \t"); i > 0 {
		// Options follow the URL, which holds no white space; a first word
		// without '=' is rather a URL with white space in it.
		if opts := strings.Fields(line[i:]); strings.Contains(opts[0], "=") {
			return parseLineOptions(line, line[:i], opts), true
		}
	}
	return Input{URL: line}, true
}

// parseLineOptions parses the words after the URL of a plain line: out=NAME,
// the only option there is.
func parseLineOptions(line, u string, words []string) Input {
	bad := func(err error) Input { return Input{URL: line, Err: err} }
	o := &LineOptions{}
	for _, w := range words {
		key, value, ok := strings.Cut(w, "=")
		switch {
		case !ok:
			return bad(fmt.Errorf("%w: %q is not an option: out= takes a name without white space (a JSON line takes any)", ErrBadLine, w))
		case key != "out":
			return bad(fmt.Errorf("%w: unknown option %q (a line takes out=NAME; a JSON line method, headers, body and out)", ErrBadLine, key))
		case o.Out != "":
			return bad(fmt.Errorf("%w: out= given twice", ErrBadLine))
		}
		if err := checkOut(value); err != nil {
			return bad(err)
		}
		o.Out = value
	}
	return Input{URL: u, Options: o}
}

// jsonLine is the JSON form of an input line.
type jsonLine struct {
	URL     string                     `json:"url"`
	Method  string                     `json:"method"`
	Headers map[string]json.RawMessage `json:"headers"`
	Body    *string                    `json:"body"`
	Out     string                     `json:"out"`
}

func parseJSONLine(line string) Input {
	bad := func(format string, args ...any) Input {
		return Input{URL: line, Err: fmt.Errorf("%w: %s", ErrBadLine, fmt.Sprintf(format, args...))}
	}
	var j jsonLine
	dec := json.NewDecoder(strings.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return bad("JSON: %v", err)
	}
	if dec.More() {
		return bad("JSON: more than one value on the line")
	}
	if j.URL = strings.TrimSpace(j.URL); j.URL == "" {
		return bad("JSON: no url")
	}
	o := &LineOptions{Method: strings.ToUpper(j.Method), Out: j.Out}
	if o.Method != "" && !validToken(o.Method) {
		return bad("method %q", j.Method)
	}
	if o.Out != "" {
		if err := checkOut(o.Out); err != nil {
			return Input{URL: line, Err: err}
		}
	}
	if j.Body != nil {
		o.Body = []byte(*j.Body)
	}
	for name, raw := range j.Headers {
		if !validToken(name) {
			return bad("header name %q", name)
		}
		var one string
		var many []string
		if json.Unmarshal(raw, &one) == nil {
			many = []string{one}
		} else if json.Unmarshal(raw, &many) != nil {
			return bad("header %q: want a string or a list of strings", name)
		}
		for _, v := range many {
			if !validHeaderValue(v) {
				return bad("header %q: value %q", name, v)
			}
		}
		if o.Header == nil {
			o.Header = http.Header{}
		}
		o.Header[http.CanonicalHeaderKey(name)] = many
	}
	in := Input{URL: j.URL, Options: o}
	if o.Method == "" && o.Header == nil && o.Body == nil && o.Out == "" {
		in.Options = nil
	}
	return in
}

// checkOut checks an out= file name: a plain name in the save directory,
// and not of the form of [SafeName]'s names (six digits or more and '_'),
// which another line's body may be saved under.
func checkOut(name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\\\x00") || len(name) > 255 {
		return fmt.Errorf("%w: out=%q: want a plain file name (no directories, not . or ..)", ErrBadLine, name)
	}
	digits := 0
	for digits < len(name) && name[digits] >= '0' && name[digits] <= '9' {
		digits++
	}
	if digits >= 6 && digits < len(name) && name[digits] == '_' {
		return fmt.Errorf("%w: out=%q: names of six digits and '_' are those fetchall gives bodies without out=", ErrBadLine, name)
	}
	return nil
}

// validHeaderValue reports whether v may be sent as a header value: no
// control characters but tab, so a line cannot inject headers.
func validHeaderValue(v string) bool {
	for _, c := range []byte(v) {
		if c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// validToken reports whether s is an HTTP token, as a method or header
// name must be.
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`()<>@,;:\"/[]?={}`, c) >= 0 {
			return false
		}
	}
	return true
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
	u, err := parseURL(raw)
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
				} else if in, ok := ParseInputLine(line); ok {
					in.Line = n
					if !yield(in, nil) {
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
			if in, ok := ParseInputLine(raw); ok {
				in.Line = i + 1
				if !yield(in, nil) {
					return
				}
			}
		}
	}
}
