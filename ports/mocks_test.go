package ports_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
)

var generateLine = regexp.MustCompile(`(?m)^//go:generate go tool mockgen -source=(\S+) -destination=(\S+) -package=mocks$`)

// TestMocksAreFresh regenerates every mock named by a go:generate line in the port files into a temporary
// file and fails when the committed mock differs: run `make generate` after changing a port.
func TestMocksAreFresh(t *testing.T) {
	sources, _ := filepath.Glob("*.go")
	var lines [][]string
	for _, s := range sources {
		text, err := os.ReadFile(s)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range generateLine.FindAllStringSubmatch(string(text), -1) {
			if l[1] != s {
				t.Errorf("%s generates mocks from %s; each file generates its own", s, l[1])
			}
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		t.Fatal("no mockgen go:generate lines in ports")
	}
	mocked := map[string]bool{}
	for _, l := range lines {
		source, dest := l[1], l[2]
		mocked[source] = true
		tmp := filepath.Join(t.TempDir(), filepath.Base(dest))
		cmd := exec.Command("go", "tool", "mockgen", "-source="+source, "-destination="+tmp, "-package=mocks")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("mockgen %s: %v\n%s", source, err, out)
		}
		want, err := os.ReadFile(tmp)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(dest)
		if err != nil {
			t.Fatalf("%s: %v (run make generate)", dest, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: run make generate", dest)
		}
	}
	for _, s := range sources {
		if s == "doc.go" || filepath.Ext(s) != ".go" || regexp.MustCompile(`_test\.go$`).MatchString(s) {
			continue
		}
		if !mocked[s] {
			t.Errorf("%s declares ports but has no mockgen go:generate line", s)
		}
	}
}
