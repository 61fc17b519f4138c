package fetch

import "strings"

// RedactURL returns s with the password of every URL's userinfo in it
// replaced by "xxxxx", as [net/url.URL.Redacted] does
// ("https://alice:xxxxx@a.example/"), and every other byte kept. It works
// on text that is not a valid URL too (an input line that did not parse,
// an error message), so that a password typed on any line never reaches a
// record, a task name, the summary or the timeline: wherever a "//" is
// followed by an authority with a "user:password@", the password goes.
// Text without '@' is returned as is, without allocating.
func RedactURL(s string) string {
	if strings.IndexByte(s, '@') < 0 {
		return s
	}
	var b strings.Builder
	rest := s
	changed := false
	for {
		i := strings.Index(rest, "//")
		if i < 0 {
			break
		}
		authStart := i + 2
		auth := rest[authStart:]
		if end := strings.IndexAny(auth, "/?#\\ \t\"'<>"); end >= 0 {
			auth = auth[:end]
		}
		at := strings.LastIndexByte(auth, '@')
		colon := -1
		if at >= 0 {
			colon = strings.IndexByte(auth[:at], ':')
		}
		if colon < 0 || auth[colon+1:at] == "xxxxx" {
			b.WriteString(rest[:authStart+len(auth)])
			rest = rest[authStart+len(auth):]
			continue
		}
		changed = true
		b.WriteString(rest[:authStart+colon+1])
		b.WriteString("xxxxx")
		rest = rest[authStart+at:]
	}
	if !changed {
		return s
	}
	b.WriteString(rest)
	return b.String()
}

// redact removes passwords from the URLs and the message of rec: every
// record the engine returns or writes goes through it.
func redact(rec *Record) {
	rec.URL = RedactURL(rec.URL)
	rec.FinalURL = RedactURL(rec.FinalURL)
	rec.Error = RedactURL(rec.Error)
}
