package fetch

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// LoadSucceeded reads an earlier run's JSON Lines output and returns the set
// of URLs that have an OK record there, for [Config.Skip]. Lines that do not
// parse are counted in bad and otherwise ignored: a run killed mid-write
// leaves at most one torn last line, whose URL is then fetched again.
func LoadSucceeded(r io.Reader) (done map[string]struct{}, bad int, err error) {
	done = make(map[string]struct{})
	br := bufio.NewReaderSize(r, 64<<10)
	var partial []byte
	for {
		chunk, err := br.ReadSlice('\n')
		partial = append(partial, chunk...)
		if err == bufio.ErrBufferFull {
			continue
		}
		line := bytes.TrimSpace(partial)
		partial = partial[:0]
		if len(line) > 0 {
			var rec struct {
				URL     string  `json:"url"`
				Outcome Outcome `json:"outcome"`
			}
			if json.Unmarshal(line, &rec) != nil || rec.URL == "" {
				bad++
			} else if rec.Outcome == OK {
				done[rec.URL] = struct{}{}
			}
		}
		if err == io.EOF {
			return done, bad, nil
		}
		if err != nil {
			return done, bad, fmt.Errorf("fetch: reading earlier output: %w", err)
		}
	}
}
