package boot

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"go.uber.org/fx"
)

// Program is a statekit binary: statekit itself, or a company's with its own modules. A company's main is
//
//	func main() {
//		boot.Main(boot.Program{Name: "shop", Version: version, Modules: []fx.Option{loyaltyhttp.Module}})
//	}
//
// Its modules contribute their routes, settings, scopes, problems and OpenAPI fragments through the same
// value groups as the built-in ones (see package app/contract).
type Program struct {
	// Name is the binary's name in usage and logs (default "statekit").
	Name string
	// Version is printed by the version command and logged at start.
	Version string
	// Modules are added to the built-in modules (Modules).
	Modules []fx.Option
}

// usage is the help text; %[1]s is the program's name.
const usage = `usage: %[1]s [command]

Commands:
  serve     run the HTTP API, the event router and the job workers (the default command;
            STATEKIT_WORKERS=false runs no workers)
  worker    run the job workers and the event router without the API; HTTP answers only
            /healthz, /readyz, /metrics and /openapi.yaml
  config    print every environment variable with its effective value and source (default or
            environment, secrets masked), the scopes API keys may hold, and what is invalid
  version   print the version
  help      print this help (also -h, --help)

Configuration is read from the environment once, at start-up; see the config command.
SIGINT or SIGTERM stop serve and worker gracefully, within STATEKIT_SHUTDOWN_TIMEOUT.
`

// Main runs the program with the process's arguments, environment and signals (SIGINT or SIGTERM stop
// serve and worker gracefully), and exits with its status.
func Main(p Program) {
	ctx, stop := context.WithCancelCause(context.Background())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		if s, ok := <-sig; ok {
			stop(fmt.Errorf("signal %s", s))
		}
	}()
	code := p.Run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	signal.Stop(sig)
	close(sig)
	os.Exit(code)
}

// Run runs the command args name (serve when none) under env, writing to stdout and stderr, and returns
// the exit status: 0, 1 when the command failed, 2 for a usage error. serve and worker run until ctx is
// done, then stop gracefully.
func (p Program) Run(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) int {
	name := p.Name
	if name == "" {
		name = "statekit"
	}
	cmd := "serve"
	if len(args) > 0 {
		cmd = args[0]
	}
	if len(args) > 1 {
		fmt.Fprintf(stderr, "%s: %s takes no arguments\n", name, cmd)
		return 2
	}
	switch cmd {
	case "serve", "worker":
		if err := p.serve(ctx, name, cmd == "worker", env, stderr); err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", name, err)
			return 1
		}
		return 0
	case "config":
		return p.config(env, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, name, p.Version)
		return 0
	case "help", "-h", "--help":
		fmt.Fprintf(stdout, usage, name)
		return 0
	default:
		fmt.Fprintf(stderr, "%s: unknown command %q\n\n"+usage, name, cmd)
		return 2
	}
}

// serve builds the graph (the worker graph when workerOnly), starts it within the shutdown timeout, and
// stops it within the shutdown timeout once ctx is done.
func (p Program) serve(ctx context.Context, name string, workerOnly bool, env func(string) string, stderr io.Writer) error {
	core := LoadCore(env)
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: core.LogLevel}))
	slog.SetDefault(log)
	opts := Options(env, log, p.Modules...)
	if workerOnly {
		opts = WorkerOnly(env, log, p.Modules...)
	}
	app := fx.New(opts)
	if err := app.Err(); err != nil {
		return err
	}
	startCtx, cancel := context.WithTimeout(context.Background(), core.ShutdownTimeout)
	defer cancel()
	if err := app.Start(startCtx); err != nil {
		return err
	}
	log.Info(name+" started", "version", p.Version, "worker_only", workerOnly)
	<-ctx.Done()
	log.Info(name+" stopping", "reason", context.Cause(ctx).Error())
	stopCtx, cancelStop := context.WithTimeout(context.Background(), core.ShutdownTimeout)
	defer cancelStop()
	return app.Stop(stopCtx)
}

// config prints the settings report; it fails (1) when the configuration is invalid.
func (p Program) config(env func(string) string, stdout, stderr io.Writer) int {
	r := Settings(env, p.Modules...)
	width := 0
	for _, v := range r.Values {
		width = max(width, len(v.Name))
	}
	for _, v := range r.Values {
		source := "default"
		if v.FromEnv {
			source = "environment"
		}
		fmt.Fprintf(stdout, "%-*s  %-11s  %s\n", width, v.Name, source, v.Value)
	}
	fmt.Fprintln(stdout, "\nScopes an API key may hold (STATEKIT_API_KEYS):")
	fmt.Fprintf(stdout, "  %-10s %s\n", "admin", "Every scope.")
	for _, s := range r.Scopes {
		fmt.Fprintf(stdout, "  %-10s %s\n", s.Scope, strings.TrimSpace(s.Meaning))
	}
	if r.Err != nil {
		fmt.Fprintln(stderr, r.Err)
		return 1
	}
	return 0
}
