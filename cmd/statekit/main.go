// Command statekit runs the statekit backend.
//
//	statekit [serve]   run the HTTP API, the event router and the job workers (default; STATEKIT_WORKERS=false: no workers)
//	statekit worker    run only the job workers (and the event router); HTTP serves health and metrics only
//	statekit version   print the version
//	statekit config    print the environment variables statekit reads
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"go.uber.org/fx"

	"github.com/statekit/statekit/cmd/statekit/boot"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	cmd := "serve"
	if len(os.Args) > 1 {
		cmd = os.Args[1]
	}
	switch cmd {
	case "serve", "worker":
		if err := serve(cmd == "worker"); err != nil {
			fmt.Fprintln(os.Stderr, "statekit:", err)
			os.Exit(1)
		}
	case "version":
		fmt.Println("statekit", version)
	case "config":
		r := boot.Settings(os.Getenv)
		for _, v := range r.Values {
			source := "default"
			if v.FromEnv {
				source = "environment"
			}
			fmt.Printf("%-36s %-11s %s\n", v.Name, source, v.Value)
		}
		if r.Err != nil {
			fmt.Fprintln(os.Stderr, "statekit:", r.Err)
			os.Exit(1)
		}
	default:
		fmt.Fprintf(os.Stderr, "statekit: unknown command %q (want serve, worker, version or config)\n", cmd)
		os.Exit(2)
	}
}

func serve(workerOnly bool) error {
	cfg := boot.LoadCore(os.Getenv)
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	slog.SetDefault(log)
	opts := boot.Options(os.Getenv, log)
	if workerOnly {
		opts = boot.WorkerOnly(os.Getenv, log)
	}
	app := fx.New(opts)
	if err := app.Err(); err != nil {
		return err
	}
	startCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := app.Start(startCtx); err != nil {
		return err
	}
	log.Info("statekit started", "version", version, "worker_only", workerOnly)

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	got := <-sig
	log.Info("statekit stopping", "signal", got.String())

	stopCtx, cancelStop := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancelStop()
	return app.Stop(stopCtx)
}
