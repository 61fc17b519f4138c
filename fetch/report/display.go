package report

import "github.com/asyncgo/async/internal/printable"

// Printable returns s as it may be written to a terminal: control
// characters (which include escape sequences), invalid UTF-8 and other
// non-printing runes are escaped as in a Go string literal (\x1b, \u200b),
// so that a URL or a server's message can neither move the cursor nor
// garble the screen. Printable text is returned as it is.
func Printable(s string) string { return printable.String(s) }

// ShortenURL returns a printable form of a URL (see [Printable]) of at
// most n bytes: a longer one keeps its start, which names the host, and its
// end, which often tells URLs of a list apart, around "…".
func ShortenURL(u string, n int) string { return printable.Shorten(u, n) }
