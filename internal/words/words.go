// Package words writes counts of things for people to read: "1 task",
// "2 tasks", "3 retries". It is the one plural helper of the module's
// command-line tools and debug pages.
package words

import (
	"strconv"
	"strings"
)

// Count returns n and the noun, in the plural unless n is 1: "1 URL",
// "2 URLs", "0 retries".
func Count(n int64, noun string) string {
	return strconv.FormatInt(n, 10) + " " + Noun(n, noun)
}

// Noun returns the noun as it goes after n: as given when n is 1, else in
// the plural, with an s, or ies in place of a y after a consonant ("retry",
// "retries"; "day", "days").
func Noun(n int64, noun string) string {
	if n == 1 {
		return noun
	}
	if stem, ok := strings.CutSuffix(noun, "y"); ok && stem != "" && !strings.ContainsRune("aeiouAEIOU", rune(stem[len(stem)-1])) {
		return stem + "ies"
	}
	return noun + "s"
}
