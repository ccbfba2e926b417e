package main

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/berth-containers/berth/engine"
)

func init() { families = append(families, addHealthcheck) }

func addHealthcheck(root *cobra.Command, g *globals) {
	hc := &cobra.Command{Use: "healthcheck", Short: "Manage container healthchecks"}
	hc.AddCommand(&cobra.Command{
		Use:   "run CONTAINER",
		Short: "Run a container's healthcheck (its startup check while starting) once; exit 0 when it passes, 1 when it fails",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withEngine(cmd.Context(), func(rt *engine.Runtime) error {
				rep, err := rt.RunHealthcheckReport(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), rep.Status)
				// A startup check says starting, and exits as its command did.
				if !rep.Passed || (!rep.Startup && rep.Status != engine.HealthHealthy) {
					return &engine.ExitError{Code: 1}
				}
				return nil
			})
		},
	})
	root.AddCommand(hc)
}

// healthFlags are create's and run's --health-* flags.
type healthFlags struct {
	cmd, interval, timeout, startPeriod, onFailure, logDestination string
	retries                                                        int
	maxLogCount, maxLogSize                                        uint
	startupCmd, startupInterval, startupTimeout                    string
	startupRetries, startupSuccess                                 int
}

func (hf *healthFlags) register(f *pflag.FlagSet) {
	f.StringVar(&hf.cmd, "health-cmd", "", `healthcheck command: run by /bin/sh -c, or a JSON array ["CMD", ...]; none disables the image's`)
	f.StringVar(&hf.interval, "health-interval", "30s", "time between healthchecks, or disable")
	f.StringVar(&hf.timeout, "health-timeout", "30s", "time a healthcheck may take")
	f.StringVar(&hf.startPeriod, "health-start-period", "0s", "time after the start in which failed healthchecks do not count")
	f.IntVar(&hf.retries, "health-retries", 3, "failed healthchecks in a row that make the container unhealthy")
	f.StringVar(&hf.onFailure, "health-on-failure", "none", "action when the container turns unhealthy: none, kill, restart, stop")
	f.StringVar(&hf.logDestination, "health-log-destination", "local", "where healthcheck results go: local, or a directory")
	f.UintVar(&hf.maxLogCount, "health-max-log-count", 5, "healthcheck results kept, 0 for all")
	f.UintVar(&hf.maxLogSize, "health-max-log-size", 500, "characters of a healthcheck's output kept, 0 for all")
	f.StringVar(&hf.startupCmd, "health-startup-cmd", "", "startup healthcheck command, run until it passes before the regular healthcheck")
	f.StringVar(&hf.startupInterval, "health-startup-interval", "30s", "time between startup healthchecks, or disable")
	f.StringVar(&hf.startupTimeout, "health-startup-timeout", "30s", "time a startup healthcheck may take")
	f.IntVar(&hf.startupRetries, "health-startup-retries", 0, "failed startup healthchecks in a row that restart the container, 0 for never")
	f.IntVar(&hf.startupSuccess, "health-startup-success", 0, "passed startup healthchecks in a row that end startup, 0 for one")
}

// config is the flags that were given (the others take the image's values or the
// defaults); nil when none was.
func (hf *healthFlags) config(cmd *cobra.Command) *engine.HealthConfig {
	f := cmd.Flags()
	str := func(name, v string) string {
		if f.Changed(name) {
			return v
		}
		return ""
	}
	h := &engine.HealthConfig{
		Cmd: str("health-cmd", hf.cmd), Interval: str("health-interval", hf.interval),
		Timeout: str("health-timeout", hf.timeout), StartPeriod: str("health-start-period", hf.startPeriod),
		OnFailure: str("health-on-failure", hf.onFailure), LogDestination: str("health-log-destination", hf.logDestination),
		Retries:     ifChanged(cmd, "health-retries", hf.retries),
		MaxLogCount: ifChanged(cmd, "health-max-log-count", hf.maxLogCount),
		MaxLogSize:  ifChanged(cmd, "health-max-log-size", hf.maxLogSize),
		StartupCmd:  str("health-startup-cmd", hf.startupCmd), StartupInterval: str("health-startup-interval", hf.startupInterval),
		StartupTimeout: str("health-startup-timeout", hf.startupTimeout),
		StartupRetries: ifChanged(cmd, "health-startup-retries", hf.startupRetries),
		StartupSuccess: ifChanged(cmd, "health-startup-success", hf.startupSuccess),
	}
	if !h.Given() {
		return nil
	}
	return h
}
