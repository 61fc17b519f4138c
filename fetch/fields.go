package fetch

import (
	"fmt"
	"slices"
	"strings"
)

// RecordFields returns the names of the fields of a JSON Lines record, in
// the order [JSONLWriter] writes them.
func RecordFields() []string {
	names := make([]string, len(recordFields))
	for i, f := range recordFields {
		names[i] = f.name
	}
	return names
}

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

// fieldIndexes returns the indexes into recordFields of names, chosen
// among all.
func fieldIndexes(names, all []string) ([]int, error) {
	pos, err := selectFields(names, all)
	if err != nil {
		return nil, err
	}
	idx := make([]int, len(pos))
	for k, p := range pos {
		idx[k] = fieldIndex[all[p]]
	}
	return idx, nil
}

// SetFields makes the writer write only the named fields (see
// [RecordFields]), in that order, each in every record even when it is
// empty: a file of chosen columns. A field named twice is an error (a
// JSON object would have the key twice). It must be called before the
// first Write.
func (j *JSONLWriter) SetFields(names []string) error {
	idx, err := fieldIndexes(names, RecordFields())
	if err != nil {
		return err
	}
	j.fields = idx
	return nil
}

// SetFields makes the writer write only the named columns of [CSVHeader],
// in that order; a column named twice is an error. It must be called
// before the header is written.
func (c *CSVWriter) SetFields(names []string) error {
	if c.header {
		return fmt.Errorf("fetch: CSV fields chosen after the header was written")
	}
	idx, err := fieldIndexes(names, csvHeader)
	if err != nil {
		return err
	}
	c.fields = idx
	return nil
}

// pick returns the chosen columns of the header, or the header when none
// were chosen.
func (c *CSVWriter) pick(header []string) []string {
	if c.fields == nil {
		return header
	}
	out := make([]string, len(c.fields))
	for k, i := range c.fields {
		out[k] = recordFields[i].name
	}
	return out
}
