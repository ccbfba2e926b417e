package main

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/docker/go-units"
	"github.com/spf13/cobra"
	"go.podman.io/common/pkg/report"

	"github.com/berth-containers/berth/engine"
)

// Container observation commands: ps, inspect, logs and exec, at the top level and
// under "container" (container ls/list/ps, container inspect, ...).
func init() { families = append(families, addObserveCommands) }

func addObserveCommands(root *cobra.Command, g *globals) {
	root.AddCommand(psCommand(g, "ps"), inspectCommand(g, true), logsCommand(g), execCommand(g))
	container := containerParent(root)
	container.AddCommand(psCommand(g, "ls", "list", "ps"), inspectCommand(g, false), logsCommand(g), execCommand(g))
}

// containerParent is the "container" command the container family made, or a new one.
func containerParent(root *cobra.Command) *cobra.Command {
	for _, c := range root.Commands() {
		if c.Name() == "container" {
			return c
		}
	}
	c := &cobra.Command{Use: "container", Short: "Manage containers", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() }}
	root.AddCommand(c)
	return c
}

type psFlags struct {
	format, sort                           string
	filters                                []string
	all, quiet, noTrunc, noHeading, latest bool
	last                                   int
	pod                                    bool // --pod: the POD ID and PODNAME columns
}

func psCommand(g *globals, use string, aliases ...string) *cobra.Command {
	var pf psFlags
	cmd := &cobra.Command{
		Use:     use + " [options]",
		Aliases: aliases,
		Short:   "List containers",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if pf.latest && pf.last >= 0 {
				return errors.New("--last and --latest cannot be used together")
			}
			if !slices.Contains(psSorts, pf.sort) {
				return fmt.Errorf("--sort %q: use one of %s", pf.sort, strings.Join(psSorts, ", "))
			}
			return g.withEngine(cmd.Context(), func(rt *engine.Runtime) error {
				list, err := rt.ContainerList(cmd.Context(), engine.ContainerListOptions{
					All: pf.all, Last: pf.last, Latest: pf.latest, Filters: pf.filters,
				})
				if err != nil {
					return err
				}
				return pf.write(cmd, list)
			})
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&pf.all, "all", "a", false, "show all containers (default: running ones only)")
	f.BoolVarP(&pf.pod, "pod", "p", false, "show the pod of each container")
	f.StringArrayVarP(&pf.filters, "filter", "f", nil, "filter: id=, name=, label=, status=, exited=, ancestor=, before=, since=")
	f.StringVar(&pf.format, "format", "", "Go template or json")
	f.IntVarP(&pf.last, "last", "n", -1, "show the n last created containers (all states)")
	f.BoolVarP(&pf.latest, "latest", "l", false, "show the latest created container (all states)")
	f.BoolVar(&pf.noTrunc, "no-trunc", false, "do not truncate IDs and commands")
	f.BoolVar(&pf.noHeading, "noheading", false, "do not print the header")
	f.BoolVarP(&pf.quiet, "quiet", "q", false, "print only the container IDs")
	f.StringVar(&pf.sort, "sort", "created", "sort by "+strings.Join(psSorts, ", "))
	return cmd
}

func (pf *psFlags) write(cmd *cobra.Command, list []engine.ContainerSummary) error {
	pf.sortRows(list)
	w := cmd.OutOrStdout()
	now := time.Now()
	switch {
	case report.IsJSON(pf.format):
		out := make([]psJSON, 0, len(list))
		for _, s := range list {
			out = append(out, newPsJSON(s, now))
		}
		return writeJSON(w, out)
	case pf.quiet && !cmd.Flags().Changed("format"):
		for _, s := range list {
			fmt.Fprintln(w, pf.id(s.ID))
		}
		return nil
	}
	format := pf.format
	if format == "" {
		format = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.CreatedHuman}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}"
		if pf.pod {
			format += "\t{{.Pod}}\t{{.PodName}}"
		}
	}
	return pf.render(w, format, list, now)
}

func (pf *psFlags) render(w io.Writer, format string, list []engine.ContainerSummary, now time.Time) error {
	rpt, err := report.New(w, "ps").Parse(report.OriginUser, format)
	if err != nil {
		return fmt.Errorf("--format: %w", err)
	}
	if rpt.RenderHeaders && !pf.noHeading {
		hdrs := report.Headers(psRow{}, map[string]string{
			"ID": "container id", "CreatedHuman": "created", "RunningFor": "running for", "PodName": "podname", "Pod": "pod id",
		})
		if err := rpt.Execute(hdrs); err != nil {
			return err
		}
	}
	rows := make([]psRow, 0, len(list))
	for _, s := range list {
		rows = append(rows, pf.row(s, now))
	}
	if err := rpt.Execute(rows); err != nil {
		return fmt.Errorf("--format: %w", err)
	}
	return rpt.Flush()
}

func (pf *psFlags) id(id string) string {
	if pf.noTrunc {
		return id
	}
	return id[:min(12, len(id))]
}

// psSorts are the --sort keys, as podman's.
var psSorts = []string{"command", "created", "id", "image", "names", "runningfor", "status"}

// sortRows orders the list; the engine returns it newest first, which "created" and
// "runningfor" keep.
func (pf *psFlags) sortRows(list []engine.ContainerSummary) {
	var key func(s engine.ContainerSummary) string
	switch pf.sort {
	case "command":
		key = func(s engine.ContainerSummary) string { return strings.Join(s.Command, " ") }
	case "id":
		key = func(s engine.ContainerSummary) string { return s.ID }
	case "image":
		key = func(s engine.ContainerSummary) string { return s.Image }
	case "names":
		key = func(s engine.ContainerSummary) string { return s.Name }
	case "status":
		key = func(s engine.ContainerSummary) string { return s.State }
	default:
		return
	}
	slices.SortStableFunc(list, func(a, b engine.ContainerSummary) int { return strings.Compare(key(a), key(b)) })
}

// psRow is one container for --format templates: podman's placeholders.
type psRow struct {
	ID, Image, ImageID, Command, CreatedAt, CreatedHuman, RunningFor string
	Status, State, Ports, Names, Networks, Mounts, Pod, PodName      string
	Size, CIDFile                                                    string
	Created                                                          time.Time
	StartedAt, ExitedAt                                              int64
	Pid, ExitCode                                                    int
	Exited, AutoRemove, IsInfra                                      bool
	Restarts                                                         uint
	Labels                                                           map[string]string
}

// Label is a label's value: {{.Label "key"}}.
func (r psRow) Label(name string) string { return r.Labels[name] }

func (pf *psFlags) row(s engine.ContainerSummary, now time.Time) psRow {
	command := strings.Join(s.Command, " ")
	if !pf.noTrunc && len(command) > 17 {
		command = command[:17] + "..."
	}
	created := units.HumanDuration(now.Sub(s.Created)) + " ago"
	return psRow{
		ID: pf.id(s.ID), Image: s.Image, ImageID: pf.id(s.ImageID), Command: command,
		CreatedAt: s.Created.String(), CreatedHuman: created, RunningFor: created,
		Status: psStatus(s, now), State: s.State, Names: s.Name, Ports: engine.FormatPorts(s.Ports),
		Networks: strings.Join(s.Networks, ","), Mounts: strings.Join(s.Mounts, ","), CIDFile: s.CIDFile,
		Created: s.Created, StartedAt: s.StartedAt.Unix(), ExitedAt: s.FinishedAt.Unix(),
		Pid: s.Pid, ExitCode: s.ExitCode, Exited: s.Exited(), AutoRemove: s.AutoRemove, Labels: s.Labels,
		Pod: pf.id(s.Pod), PodName: s.PodName, IsInfra: s.IsInfra,
	}
}

// psStatus is podman's STATUS column: "Up 5 minutes (healthy)", "Exited (0) 2 seconds ago",
// else the state capitalized.
func psStatus(s engine.ContainerSummary, now time.Time) string {
	switch s.State {
	case engine.StatusRunning:
		up := "Up " + units.HumanDuration(now.Sub(s.StartedAt))
		if s.Health != "" {
			up += " (" + s.Health + ")"
		}
		return up
	case engine.StatusExited:
		return fmt.Sprintf("Exited (%d) %s ago", s.ExitCode, units.HumanDuration(now.Sub(s.FinishedAt)))
	case "":
		return ""
	}
	return strings.ToUpper(s.State[:1]) + s.State[1:]
}

// psPort is a published port as ps --format json shows it (libnetwork's JSON).
type psPort = engine.PortMapping

// psJSON is one container of `ps --format json`, with podman's field names.
type psJSON struct {
	AutoRemove bool              `json:"AutoRemove"`
	Command    []string          `json:"Command"`
	Created    int64             `json:"Created"`
	CreatedAt  string            `json:"CreatedAt"`
	CIDFile    string            `json:"CIDFile"`
	Exited     bool              `json:"Exited"`
	ExitedAt   int64             `json:"ExitedAt"`
	ExitCode   int               `json:"ExitCode"`
	ID         string            `json:"Id"`
	Image      string            `json:"Image"`
	ImageID    string            `json:"ImageID"`
	IsInfra    bool              `json:"IsInfra"`
	Labels     map[string]string `json:"Labels"`
	Mounts     []string          `json:"Mounts"`
	Names      []string          `json:"Names"`
	Namespaces struct{}          `json:"Namespaces"`
	Networks   []string          `json:"Networks"`
	Pid        int               `json:"Pid"`
	Pod        string            `json:"Pod"`
	PodName    string            `json:"PodName"`
	Ports      []psPort          `json:"Ports"`
	Restarts   uint              `json:"Restarts"`
	Size       *struct{}         `json:"Size"`
	StartedAt  int64             `json:"StartedAt"`
	State      string            `json:"State"`
	Status     string            `json:"Status"`
}

func newPsJSON(s engine.ContainerSummary, now time.Time) psJSON {
	return psJSON{
		AutoRemove: s.AutoRemove, Command: s.Command, Created: s.Created.Unix(),
		CreatedAt: units.HumanDuration(now.Sub(s.Created)) + " ago", CIDFile: s.CIDFile,
		Exited: s.Exited(), ExitedAt: s.FinishedAt.Unix(), ExitCode: s.ExitCode, ID: s.ID,
		Image: s.Image, ImageID: s.ImageID, Labels: s.Labels, Mounts: s.Mounts, Names: []string{s.Name},
		Networks: s.Networks, Pid: s.Pid, StartedAt: s.StartedAt.Unix(), State: s.State, Ports: s.Ports,
		Status: psStatus(s, now), Pod: s.Pod, PodName: s.PodName, IsInfra: s.IsInfra,
	}
}
