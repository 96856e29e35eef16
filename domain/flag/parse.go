package flag

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Parse reads a flag from its JSON form, strictly (unknown fields and trailing data are refused), and
// compiles it. Errors wrap ErrInvalid.
func Parse(data []byte) (*Compiled, error) {
	var f Flag
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: trailing data after the flag", ErrInvalid)
	}
	return Compile(f)
}
