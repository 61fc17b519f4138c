// Package printable makes text safe to write to a terminal: fetch/report
// shows URLs and messages through it (Printable, ShortenURL), and so do the
// fetch engine's CSV writer and error messages, which cannot import the
// report package.
package printable

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// String returns s as it may be written to a terminal: control
// characters (which include escape sequences), invalid UTF-8 and other
// non-printing runes are escaped as in a Go string literal (\x1b, \u200b),
// so that a URL or a server's message can neither move the cursor nor
// garble the screen. Printable text is returned as it is.
func String(s string) string {
	i := strings.IndexFunc(s, func(r rune) bool { return r == utf8.RuneError || !unicode.IsPrint(r) && r != ' ' })
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.WriteString(s[:i])
	for s = s[i:]; s != ""; {
		r, size := utf8.DecodeRuneInString(s)
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\x`)
			b.WriteString(strconv.FormatUint(uint64(s[0])|0x100, 16)[1:])
		case unicode.IsPrint(r) || r == ' ':
			b.WriteString(s[:size])
		default:
			q := strconv.QuoteRuneToASCII(r)
			b.WriteString(q[1 : len(q)-1])
		}
		s = s[size:]
	}
	return b.String()
}

// Shorten returns a printable form of a URL (see [String]) of at
// most n bytes: a longer one keeps its start, which names the host, and its
// end, which often tells URLs of a list apart, around "…".
func Shorten(u string, n int) string {
	u = String(u)
	if len(u) <= n || n < 16 {
		return u
	}
	head := n * 2 / 3
	tail := n - head - len("…")
	for head > 0 && !utf8.RuneStart(u[head]) {
		head--
	}
	start := len(u) - tail
	for start < len(u) && !utf8.RuneStart(u[start]) {
		start++
	}
	return u[:head] + "…" + u[start:]
}
