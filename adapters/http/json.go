package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// Decode reads one JSON object from the request body into v, rejecting anything but an object (null
// included), unknown fields, trailing data and bodies over the server's limit, each as a client error.
func Decode(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return fmt.Errorf("%w: limit is %d bytes", errTooLarge, tooLarge.Limit)
		}
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("%w: empty body, want a JSON object", errMalformed)
		}
		return fmt.Errorf("%w: %w", errMalformed, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return fmt.Errorf("%w: limit is %d bytes", errTooLarge, tooLarge.Limit)
		}
		return fmt.Errorf("%w: trailing data after the JSON object", errMalformed)
	}
	// Decoding null into a struct is a silent no-op, so insist on an object before decoding for real.
	if raw = bytes.TrimSpace(raw); len(raw) == 0 || raw[0] != '{' {
		return fmt.Errorf("%w: want a JSON object", errMalformed)
	}
	strict := json.NewDecoder(bytes.NewReader(raw))
	strict.DisallowUnknownFields()
	if err := strict.Decode(v); err != nil {
		return fmt.Errorf("%w: %w", errMalformed, err)
	}
	return nil
}

// JSON writes v as a JSON response with the status.
func JSON(w http.ResponseWriter, status int, v any) error {
	return writeJSON(w, status, "application/json", v)
}

func writeJSON(w http.ResponseWriter, status int, contentType string, v any) error {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(v)
}
