// Command bench runs statekit's side-by-side benchmarks (see ../../../shared/design/quality-bars.md):
// `make bench` runs every scenario, `make bench BENCH=name` one. It is its own module so peer libraries
// never enter statekit's go.mod.
package main

import (
	"fmt"
	"os"
	"sort"
)

// scenarios maps a scenario group name to its runner; each runner prints BENCH lines.
var scenarios = map[string]func() error{}

func main() {
	want := ""
	if len(os.Args) > 1 {
		want = os.Args[1]
	}
	if len(scenarios) == 0 {
		fmt.Println("no benchmarks yet")
		return
	}
	names := make([]string, 0, len(scenarios))
	for n := range scenarios {
		names = append(names, n)
	}
	sort.Strings(names)
	ran := false
	for _, n := range names {
		if want != "" && n != want {
			continue
		}
		ran = true
		if err := scenarios[n](); err != nil {
			fmt.Printf("BENCH name=%s error=%q\n", n, err.Error())
			os.Exit(1)
		}
	}
	if !ran {
		fmt.Fprintf(os.Stderr, "bench: no scenario %q (have %v)\n", want, names)
		os.Exit(2)
	}
}
