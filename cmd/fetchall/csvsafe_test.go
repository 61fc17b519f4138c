package main

import (
	"context"
	"encoding/csv"
	"strings"
	"testing"
)

// TestCSVIsSafeToOpen: a cell that a spreadsheet would take for a formula
// (starting with = + - @, a tab or a carriage return) is written with a
// leading ', as OWASP's CSV injection guidance says, and no control byte
// (ESC, BEL, …) of a URL or a message reaches the file or the terminal.
func TestCSVIsSafeToOpen(t *testing.T) {
	list := strings.Join([]string{
		`=HYPERLINK("http://evil.example/","click")`,
		`+cmd|' /C calc'!A0`,
		`-2+3`,
		`@SUM(1+1)`,
		"\t=1+1",
		"http://127.0.0.1:1/\x1b]0;pwned\x07\x1b[2J",
		"http://127.0.0.1:1/\u009b31m",
	}, "\n") + "\n"
	r := cli(t, context.Background(), list, "-q", "-f", "csv", "-retries", "0", "-i", "-")
	for _, c := range r.stdout {
		if c < ' ' && c != '\n' || c == 0x7f || c >= 0x80 && c <= 0x9f {
			t.Fatalf("control character %U in the CSV:\n%q", c, r.stdout)
		}
	}
	rows, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 8 {
		t.Fatalf("%d rows, want the header and 7:\n%s", len(rows), r.stdout)
	}
	for _, row := range rows[1:] {
		for i, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("column %s starts with %q: %q", rows[0][i], cell[0], cell)
			}
		}
	}
	if !strings.Contains(r.stdout, `'=HYPERLINK(`) || !strings.Contains(r.stdout, `'@SUM(1+1)`) {
		t.Errorf("the formulas are not written as text:\n%s", r.stdout)
	}
}
