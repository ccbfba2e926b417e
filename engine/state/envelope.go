package state

import (
	"encoding/json"
	"fmt"
	"reflect"
)

// header is what the store keeps beside a record: its schema version, to read it
// back, and its kind, id and name, to check the indexes without the caller's type.
type header struct {
	Version int    `json:"version"`
	Kind    string `json:"kind"`
	ID      string `json:"id"`
	Name    string `json:"name,omitempty"`
}

// envelope is a stored record, read without knowing its type.
type envelope struct {
	header
	Record json.RawMessage `json:"record"`
}

func (c *Collection[T]) encode(rec T) ([]byte, error) {
	raw, err := json.Marshal(rec)
	if err != nil {
		return nil, fmt.Errorf("encoding %s %s: %w", c.spec.Kind, rec.ObjectID(), err)
	}
	return json.Marshal(envelope{
		header: header{Version: c.spec.Version, Kind: c.spec.Kind, ID: rec.ObjectID(), Name: rec.ObjectName()},
		Record: raw,
	})
}

func decodeEnvelope(data []byte) (envelope, error) {
	var env envelope
	err := json.Unmarshal(data, &env)
	return env, err
}

// decode reads a stored record, migrating an older version.
func (c *Collection[T]) decode(id string, data []byte) (T, header, error) {
	// One pass when the record is in the current version, as it nearly always is;
	// otherwise it is read again, raw, to be migrated or refused.
	var cur struct {
		header
		Record T `json:"record"`
	}
	if err := json.Unmarshal(data, &cur); err == nil && cur.Version == c.spec.Version && !isNil(cur.Record) {
		return cur.Record, cur.header, nil
	}
	var rec T
	env, err := decodeEnvelope(data)
	if err != nil {
		return rec, env.header, fmt.Errorf("reading %s %s: %w", c.spec.Kind, id, err)
	}
	raw := env.Record
	switch {
	case env.Version > c.spec.Version:
		return rec, env.header, fmt.Errorf("%s %s: record version %d (this berth knows %d): %w",
			c.spec.Kind, id, env.Version, c.spec.Version, ErrNewerVersion)
	case env.Version < c.spec.Version && c.spec.Migrate == nil:
		return rec, env.header, fmt.Errorf("%s %s: record version %d and no migration to %d",
			c.spec.Kind, id, env.Version, c.spec.Version)
	case env.Version < c.spec.Version:
		if raw, err = c.spec.Migrate(env.Version, raw); err != nil {
			return rec, env.header, fmt.Errorf("migrating %s %s from version %d: %w", c.spec.Kind, id, env.Version, err)
		}
	}
	if err := json.Unmarshal(raw, &rec); err != nil {
		return rec, env.header, fmt.Errorf("reading %s %s: %w", c.spec.Kind, id, err)
	}
	if isNil(rec) {
		return rec, env.header, fmt.Errorf("reading %s %s: the record is empty", c.spec.Kind, id)
	}
	return rec, env.header, nil
}

// isNil tells whether a record (a pointer, see Of) is nil.
func isNil[T any](rec T) bool {
	v := reflect.ValueOf(rec)
	return !v.IsValid() || v.Kind() == reflect.Pointer && v.IsNil()
}
