// Command bench runs statekit's side-by-side benchmarks (see ../../../shared/design/quality-bars.md):
// `make bench` runs every scenario, `make bench BENCH=name` one. It is its own module so peer libraries
// never enter statekit's go.mod. With BENCH_CPUPROFILE=<file> set it writes a CPU profile of the run (both
// sides of every scenario) for `go tool pprof`.
package main

import (
	"fmt"
	"os"
	"runtime/pprof"
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
	if path := os.Getenv("BENCH_CPUPROFILE"); path != "" { // a CPU profile of the whole run, both sides
		f, err := os.Create(path)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench: cpu profile: %v\n", err)
			os.Exit(2)
		}
		defer pprof.StopCPUProfile()
	}
	ran := false
	for _, n := range names {
		if want != "" && n != want {
			continue
		}
		ran = true
		if err := scenarios[n](); err != nil {
			fmt.Printf("BENCH name=%s error=%q\n", n, err.Error())
			pprof.StopCPUProfile()
			os.Exit(1)
		}
	}
	if !ran {
		fmt.Fprintf(os.Stderr, "bench: no scenario %q (have %v)\n", want, names)
		pprof.StopCPUProfile()
		os.Exit(2)
	}
}
