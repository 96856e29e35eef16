package cacheapp

import gojson "github.com/goccy/go-json"

// Codec turns values into the bytes the shared tier stores and back.
type Codec interface {
	Marshal(v any) ([]byte, error)
	Unmarshal(data []byte, v any) error
}

// JSON is the default codec: JSON as encoding/json reads and writes it (struct tags, Marshaler and
// Unmarshaler included), done by github.com/goccy/go-json, whose decoding costs about half of
// encoding/json's. Decoding is most of an L2 hit's CPU in this process, next to the round trip itself.
type JSON struct{}

// Marshal implements Codec.
func (JSON) Marshal(v any) ([]byte, error) { return gojson.Marshal(v) }

// Unmarshal implements Codec.
func (JSON) Unmarshal(data []byte, v any) error { return gojson.Unmarshal(data, v) }
