package main

import (
	"fmt"
	"strings"

	"github.com/asyncgo/async/fetch"
	"github.com/asyncgo/async/fetch/report"
)

// stopNote says, for a run stopped before its end (by -max-time or an
// interrupt), exactly what was recorded and what was not, and how to
// fetch the rest: every input read has a record (those not finished say
// cancelled); inputs after the last one read have none.
func (j *job) stopNote(sum *fetch.Summary) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s recorded", report.Plural(sum.Inputs, "URL"))
	if n := sum.Outcomes[fetch.Cancelled]; n > 0 {
		fmt.Fprintf(&b, " (%d cancelled before finishing)", n)
	}
	if !sum.AllRead {
		if sum.LastLine > 0 {
			fmt.Fprintf(&b, "; the input after line %d was not read and has no records", sum.LastLine)
		} else {
			b.WriteString("; the input was not read and has no records")
		}
	}
	switch {
	case j.demo:
		b.WriteString("; the demo starts over when run again (-resume is for lists of your own)")
	case j.resumeFrom != "":
		fmt.Fprintf(&b, "; run the same command again to fetch the rest (-resume %s)", j.resumeFrom)
	case j.output != "" && j.jsonl:
		fmt.Fprintf(&b, "; run it again with -resume %s (and the same -o) to fetch the rest", j.output)
	case j.output != "":
		b.WriteString("; write records as JSON Lines (-f jsonl) to be able to -resume")
	default:
		b.WriteString("; write records with -o FILE to be able to -resume")
	}
	return b.String()
}
