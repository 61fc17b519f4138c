package fetch

import (
	"errors"
	"strconv"
	"strings"
)

// errSave marks an attempt that failed because its body could not be saved.
var errSave = errors.New("saving body")

// SafeName returns the file name under which the body of the URL on the
// given input line is saved: the line number, zero-padded so that names
// sort in input order, then the URL's host, path and query with every byte
// outside [A-Za-z0-9._-] replaced by '_', cut to a length every file system
// accepts. The line number keeps names unique; no name starts with a dot or
// holds a path separator, so a URL cannot escape the directory.
func SafeName(line int, rawURL string) string {
	s := rawURL
	if i := strings.Index(s, "://"); i >= 0 {
		s = s[i+3:]
	}
	// No user name or password in a file name, which anyone listing the
	// directory sees.
	auth := s
	if end := strings.IndexAny(s, "/?#"); end >= 0 {
		auth = s[:end]
	}
	if at := strings.LastIndexByte(auth, '@'); at >= 0 {
		s = s[at+1:]
	}
	if i := strings.IndexByte(s, '#'); i >= 0 {
		s = s[:i]
	}
	var b strings.Builder
	b.WriteString(leftPad(strconv.Itoa(line), 6))
	b.WriteByte('_')
	under := false
	for i := 0; i < len(s) && b.Len() < 120; i++ {
		c := s[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-'
		if !ok {
			if !under {
				b.WriteByte('_')
			}
			under = true
			continue
		}
		b.WriteByte(c)
		under = false
	}
	return strings.TrimRight(b.String(), "_.")
}

func leftPad(s string, n int) string {
	if len(s) >= n {
		return s
	}
	return strings.Repeat("0", n-len(s)) + s
}
