// Command statekit runs the statekit backend: statekit [serve | worker | config | version | help].
// `statekit help` describes every command; a company's own binary is the same few lines with its modules
// (see boot.Program).
package main

import "github.com/statekit/statekit/cmd/statekit/boot"

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	boot.Main(boot.Program{Name: "statekit", Version: version})
}
