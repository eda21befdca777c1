package handlers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/alexedwards/scs/v2"
)

// sessionCodec writes a session's values as JSON that keeps their types,
// and reads the sessions scs's gob codec wrote before it, so nobody is
// signed out by an upgrade.
//
// scs's GobCodec makes a gob Decoder per session it loads, which compiles
// the stream's type descriptions anew every time: 4% of the server's CPU
// per HACK, more than the database read of the session. questgate puts
// strings and int64s in a session only; a value of any other type is
// written with gob, as before.
type sessionCodec struct{}

// sessionMagic starts a session written by sessionCodec: a gob stream
// starting with it would be a 113-byte message whose type id is not
// valid, so the two cannot be mistaken in practice.
const sessionMagic = "qg1\x00"

// sessionData is a session as sessionCodec writes it.
type sessionData struct {
	// Deadline is the session's deadline in Unix nanoseconds.
	Deadline int64             `json:"d"`
	Strings  map[string]string `json:"s,omitempty"`
	Ints     map[string]int64  `json:"i,omitempty"`
}

// Encode writes deadline and values.
func (sessionCodec) Encode(deadline time.Time, values map[string]any) ([]byte, error) {
	d := sessionData{Deadline: deadline.UnixNano()}
	for k, v := range values {
		switch v := v.(type) {
		case string:
			if d.Strings == nil {
				d.Strings = map[string]string{}
			}
			d.Strings[k] = v
		case int64:
			if d.Ints == nil {
				d.Ints = map[string]int64{}
			}
			d.Ints[k] = v
		default:
			return scs.GobCodec{}.Encode(deadline, values)
		}
	}
	b := bytes.NewBufferString(sessionMagic)
	if err := json.NewEncoder(b).Encode(d); err != nil {
		return nil, fmt.Errorf("encode session: %w", err)
	}
	return b.Bytes(), nil
}

// Decode reads a session written by Encode, or by scs's GobCodec.
func (sessionCodec) Decode(b []byte) (time.Time, map[string]any, error) {
	rest, ok := bytes.CutPrefix(b, []byte(sessionMagic))
	if !ok {
		return scs.GobCodec{}.Decode(b)
	}
	var d sessionData
	if err := json.Unmarshal(rest, &d); err != nil {
		return time.Time{}, nil, fmt.Errorf("decode session: %w", err)
	}
	values := make(map[string]any, len(d.Strings)+len(d.Ints))
	for k, v := range d.Strings {
		values[k] = v
	}
	for k, v := range d.Ints {
		values[k] = v
	}
	return time.Unix(0, d.Deadline), values, nil
}
