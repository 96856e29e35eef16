package cache

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateNamespace(t *testing.T) {
	for _, ns := range []string{"users", "a", "user-profiles_v2.1", strings.Repeat("n", MaxNamespaceLen)} {
		if err := ValidateNamespace(ns); err != nil {
			t.Errorf("ValidateNamespace(%q) = %v, want nil", ns, err)
		}
	}
	for _, ns := range []string{"", strings.Repeat("n", MaxNamespaceLen+1), "a:b", "{a}", "a*", "a b", "é", "a/b"} {
		if err := ValidateNamespace(ns); !errors.Is(err, ErrInvalid) {
			t.Errorf("ValidateNamespace(%q) = %v, want ErrInvalid", ns, err)
		}
	}
}

func TestValidateKey(t *testing.T) {
	for _, k := range []string{"42", "user/42", "a.b-c_d@e=f,g+h", "día", "ключ", strings.Repeat("k", MaxKeyLen)} {
		if err := ValidateKey(k); err != nil {
			t.Errorf("ValidateKey(%q) = %v, want nil", k, err)
		}
	}
	for _, k := range []string{"", strings.Repeat("k", MaxKeyLen+1), "user:42", "{42}", "a}", "a*", "a b", "a\tb",
		"a\x00b", "a\x7fb", "a\u0085b", "\xff\xfe"} {
		if err := ValidateKey(k); !errors.Is(err, ErrInvalid) {
			t.Errorf("ValidateKey(%q) = %v, want ErrInvalid", k, err)
		}
	}
}

func TestRefValidate(t *testing.T) {
	if err := (Ref{Namespace: "users", Generation: 7, Key: "42"}).Validate(); err != nil {
		t.Errorf("valid ref: %v", err)
	}
	if err := (Ref{Namespace: "users", Key: "4:2"}).Validate(); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad key: %v, want ErrInvalid", err)
	}
	if err := (Ref{Namespace: "", Key: "42"}).Validate(); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad namespace: %v, want ErrInvalid", err)
	}
}

func TestInvalidatedEvent(t *testing.T) {
	var ev Invalidated
	if ev.EventName() != "cache.invalidated" || ev.EventVersion() != 1 {
		t.Errorf("event = %s v%d, want cache.invalidated v1", ev.EventName(), ev.EventVersion())
	}
}

func FuzzValidateKey(f *testing.F) {
	for _, k := range []string{"42", "user:42", "{x}", "a b", "día", "\xff"} {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, k string) {
		if ValidateKey(k) != nil {
			return
		}
		if strings.ContainsAny(k, ":{}* \t\r\n") || k == "" || len(k) > MaxKeyLen {
			t.Fatalf("ValidateKey accepted %q", k)
		}
	})
}
