package fetch

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
)

// RecordFields returns the names of the fields of a JSON Lines record, in
// the order [JSONLWriter] writes them.
func RecordFields() []string {
	names, _ := recordFieldIndex()
	return slices.Clone(names)
}

var recordFieldIndex = sync.OnceValues(func() ([]string, map[string]int) {
	t := reflect.TypeFor[recordJSON]()
	names := make([]string, 0, t.NumField())
	index := map[string]int{}
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		names = append(names, name)
		index[name] = i
	}
	return names, index
})

// selectFields returns the positions of names among all, or an error
// naming the unknown ones and what is known, or one named twice.
func selectFields(names, all []string) ([]int, error) {
	var idx []int
	var unknown []string
	for k, n := range names {
		if slices.Contains(names[:k], n) {
			// A JSON object with a key twice means different things to
			// different readers; a CSV column twice is no better.
			return nil, fmt.Errorf("%s named twice", n)
		}
		i := slices.Index(all, n)
		if i < 0 {
			unknown = append(unknown, n)
			continue
		}
		idx = append(idx, i)
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("unknown field %s (known: %s)", strings.Join(unknown, ", "), strings.Join(all, ","))
	}
	if len(idx) == 0 {
		return nil, fmt.Errorf("no field named")
	}
	return idx, nil
}

// SetFields makes the writer write only the named fields (see
// [RecordFields]), in that order, each in every record even when it is
// empty: a file of chosen columns. A field named twice is an error (a
// JSON object would have the key twice). It must be called before the
// first Write.
func (j *JSONLWriter) SetFields(names []string) error {
	all, _ := recordFieldIndex()
	idx, err := selectFields(names, all)
	if err != nil {
		return err
	}
	j.fields = idx
	return nil
}

// writeFields encodes the chosen fields of rec into j.buf, as one line.
func (j *JSONLWriter) writeFields(rec *Record) error {
	all, _ := recordFieldIndex()
	wire := rec.wire()
	v := reflect.ValueOf(&wire).Elem()
	var line []byte
	line = append(line, '{')
	for k, i := range j.fields {
		if k > 0 {
			line = append(line, ',')
		}
		line = append(line, '"')
		line = append(line, all[i]...)
		line = append(line, '"', ':')
		j.buf.Reset()
		if err := j.enc.Encode(v.Field(i).Interface()); err != nil {
			return err
		}
		line = append(line, strings.TrimSuffix(j.buf.String(), "\n")...)
	}
	line = append(line, '}', '\n')
	j.buf.Reset()
	j.buf.Write(line)
	return nil
}

// SetFields makes the writer write only the named columns of [CSVHeader],
// in that order; a column named twice is an error. It must be called
// before the header is written.
func (c *CSVWriter) SetFields(names []string) error {
	if c.header {
		return fmt.Errorf("fetch: CSV fields chosen after the header was written")
	}
	idx, err := selectFields(names, CSVHeader)
	if err != nil {
		return err
	}
	c.fields = idx
	return nil
}

// pick returns the chosen columns of row, or row when none were chosen.
func (c *CSVWriter) pick(row []string) []string {
	if c.fields == nil {
		return row
	}
	out := make([]string, len(c.fields))
	for k, i := range c.fields {
		out[k] = row[i]
	}
	return out
}
