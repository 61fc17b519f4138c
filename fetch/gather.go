package fetch

import "time"

// NewSummary returns an empty summary of a run that started at start, for
// records gathered outside [Fetcher.Run]: fetchall collect builds the
// summary of a run spread over several machines this way, from the records
// its workers published. keep keeps every record, as [Config.KeepRecords].
func NewSummary(start time.Time, keep bool) *Summary { return newSummary(start, keep) }

// Add counts rec as [Fetcher.Run] counts the records it writes. It must not
// be called concurrently, and does not keep the pointer.
func (s *Summary) Add(rec *Record) { s.add(rec) }

// Finish ends the summary at end: Wall becomes the time since its start.
func (s *Summary) Finish(end time.Time) { s.finish(end) }
