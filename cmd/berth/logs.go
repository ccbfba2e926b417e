package main

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	"go.podman.io/common/pkg/timetype"

	"github.com/berth-containers/berth/engine"
)

type logsFlags struct {
	since, until                      string
	tail                              int
	follow, timestamps, names, latest bool
}

func logsCommand(g *globals) *cobra.Command {
	var lf logsFlags
	cmd := &cobra.Command{
		Use:   "logs [options] CONTAINER [CONTAINER...]",
		Short: "Show the output of containers",
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case lf.latest && len(args) > 0:
				return errors.New("--latest and containers cannot be used together")
			case !lf.latest && len(args) == 0:
				return errors.New("name at least one container, or use --latest")
			}
			o, err := lf.options()
			if err != nil {
				return err
			}
			ctx, cancel := interruptible(cmd.Context())
			defer cancel()
			return g.withEngine(ctx, func(rt *engine.Runtime) error {
				if lf.latest {
					c, err := rt.LatestContainer()
					if err != nil {
						return err
					}
					args = []string{c.ID}
				}
				out, errOut := cmd.OutOrStdout(), cmd.ErrOrStderr()
				multi := len(args) > 1
				return rt.ContainerLogs(ctx, args, o, func(l engine.LogLine) error {
					w := out
					if l.Stream == "stderr" {
						w = errOut
					}
					return lf.print(w, l, multi)
				})
			})
		},
	}
	cmd.Flags().SetInterspersed(false)
	f := cmd.Flags()
	f.BoolVarP(&lf.follow, "follow", "f", false, "keep printing new output until the container exits")
	f.StringVar(&lf.since, "since", "", "show output written after TIMESTAMP (a time, a Unix time, or a duration such as 10m)")
	f.StringVar(&lf.until, "until", "", "show output written before TIMESTAMP")
	f.IntVar(&lf.tail, "tail", -1, "show only the last LINES lines (-1: all)")
	f.BoolVarP(&lf.timestamps, "timestamps", "t", false, "show the time of each line")
	f.BoolVarP(&lf.names, "names", "n", false, "prefix lines with container names instead of IDs (several containers)")
	f.BoolVarP(&lf.latest, "latest", "l", false, "show the logs of the latest created container")
	return cmd
}

func (lf *logsFlags) options() (engine.LogOptions, error) {
	o := engine.LogOptions{Follow: lf.follow, Tail: lf.tail}
	var err error
	if o.Since, err = parseLogTime("--since", lf.since); err != nil {
		return o, err
	}
	if o.Until, err = parseLogTime("--until", lf.until); err != nil {
		return o, err
	}
	return o, nil
}

// parseLogTime reads podman's time forms: a Go duration before now, RFC 3339 times
// with or without zone and fraction, dates, or Unix seconds.
func parseLogTime(flag, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	ts, err := timetype.GetTimestamp(s, time.Now())
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %q: %w", flag, s, err)
	}
	sec, nsec, err := timetype.ParseTimestamps(ts, 0)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %q: %w", flag, s, err)
	}
	return time.Unix(sec, nsec), nil
}

// print writes a line as podman does: the container (with several), the time (with
// --timestamps), the text, and a newline unless the container has not written one.
func (lf *logsFlags) print(w io.Writer, l engine.LogLine, multi bool) error {
	var prefix string
	if multi {
		if lf.names {
			prefix = l.ContainerName + " "
		} else {
			prefix = l.ContainerID[:min(12, len(l.ContainerID))] + " "
		}
	}
	if lf.timestamps {
		prefix += l.Time.Format(time.RFC3339Nano) + " "
	}
	end := "\n"
	if l.Partial {
		end = ""
	}
	_, err := fmt.Fprint(w, prefix, l.Text, end)
	return err
}
