package handlers

import (
	"bufio"
	"encoding/csv"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// csvFlushEvery is how many rows an export writes between flushes: the
// download starts at once and memory stays flat whatever the table size.
const csvFlushEvery = 200

// csvBuffer is how many bytes an export gathers before writing them to
// the connection: a 64 KiB chunk is one system call, where the CSV
// writer's own 4 KiB buffer made sixteen.
const csvBuffer = 64 << 10

// csvExportTime is how long one export may keep writing, past the
// server's ordinary write timeout.
const csvExportTime = 10 * time.Minute

// csvStream writes a spreadsheet-safe CSV file as the response, row by
// row: UTF-8 with a byte-order mark (Excel otherwise reads it in the
// machine's legacy encoding) and every cell neutralised (spreadsheetSafe).
type csvStream struct {
	c    echo.Context
	w    *csv.Writer
	rows int
}

// newCSVStream starts a CSV download named filename.
func newCSVStream(c echo.Context, filename string) (*csvStream, error) {
	rc := http.NewResponseController(c.Response())
	_ = rc.SetWriteDeadline(time.Now().Add(csvExportTime)) // unsupported by test recorders: no deadline then
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, `attachment; filename="`+filename+`"`)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	c.Response().WriteHeader(http.StatusOK)
	if _, err := c.Response().Write([]byte("\uFEFF")); err != nil {
		return nil, err
	}
	// csv.NewWriter writes straight into a bufio.Writer this large.
	return &csvStream{c: c, w: csv.NewWriter(bufio.NewWriterSize(c.Response(), csvBuffer))}, nil
}

// Row writes one row, each cell made safe, flushing now and then.
func (s *csvStream) Row(cells ...string) error {
	for i, v := range cells {
		cells[i] = spreadsheetSafe(v)
	}
	if err := s.w.Write(cells); err != nil {
		return err
	}
	s.rows++
	if s.rows%csvFlushEvery == 0 {
		return s.flush()
	}
	return nil
}

// Close writes what is left.
func (s *csvStream) Close() error { return s.flush() }

func (s *csvStream) flush() error {
	s.w.Flush()
	if err := s.w.Error(); err != nil {
		return err
	}
	return http.NewResponseController(s.c.Response()).Flush()
}

// spreadsheetSafe neutralises a cell a spreadsheet would run as a formula
// (=, +, - or @ first, or a tab or carriage return that some strip before
// looking): a leading single quote makes it text. Player-typed SIDs and
// Twilio message bodies end up here, so this is not hypothetical.
//
// A spreadsheet that splits on semicolons (the default where the comma is
// the decimal mark), or a hasty import that ignores the quotes, cuts
// "ok;=HYPERLINK(…)" into cells of its own, the second a formula. So
// wherever a ";" or "," is followed (after any spaces) by a formula
// character, a single quote goes right after the separator too: each
// piece then reads as text, whichever way the line is split.
func spreadsheetSafe(s string) string {
	if s == "" {
		return s
	}
	var b strings.Builder
	if isFormulaStart(s[0]) {
		b.WriteByte('\'')
	}
	last := 0
	for i := 0; i < len(s); i++ {
		if s[i] != ';' && s[i] != ',' {
			continue
		}
		j := i + 1
		for j < len(s) && s[j] == ' ' {
			j++
		}
		if j < len(s) && isFormulaStart(s[j]) {
			b.WriteString(s[last : i+1])
			b.WriteByte('\'')
			last = i + 1
		}
	}
	if last == 0 && b.Len() == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// isFormulaStart reports a character that makes a spreadsheet cell a
// formula when it comes first.
func isFormulaStart(c byte) bool {
	switch c {
	case '=', '+', '-', '@', '\t', '\r':
		return true
	}
	return false
}

// exportName is a download's file name: what it holds and the day.
func exportName(what string, now time.Time) string {
	return "questgate-" + what + "-" + now.UTC().Format(dayFormat) + ".csv"
}
