package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/docker/go-units"
	"github.com/spf13/cobra"
	"go.podman.io/common/pkg/report"

	"github.com/berth-containers/berth/engine"
)

type podPsFlags struct {
	format, sort                      string
	filters                           []string
	quiet, noTrunc, noHeading, latest bool
	ctrNames, ctrIDs, ctrStatus       bool
}

// podPsSorts are pod ps's --sort keys, as podman's.
var podPsSorts = []string{"created", "id", "name", "number", "status"}

func podPsCommand(g *globals) *cobra.Command {
	var pf podPsFlags
	cmd := &cobra.Command{
		Use:     "ps [options]",
		Aliases: []string{"ls", "list"},
		Short:   "List pods",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !slices.Contains(podPsSorts, pf.sort) {
				return fmt.Errorf("--sort %q: use one of %s", pf.sort, strings.Join(podPsSorts, ", "))
			}
			return g.withEngine(cmd.Context(), func(rt *engine.Runtime) error {
				list, err := rt.PodList(engine.PodListOptions{Filters: pf.filters})
				if err != nil {
					return err
				}
				if pf.latest && len(list) > 1 {
					list = list[:1]
				}
				return pf.write(cmd, list)
			})
		},
	}
	f := cmd.Flags()
	f.StringArrayVarP(&pf.filters, "filter", "f", nil, "filter: id=, name=, label=, status=, ctr-names=, ctr-ids=, ctr-status=, ctr-number=")
	f.StringVar(&pf.format, "format", "", "Go template or json")
	f.BoolVarP(&pf.quiet, "quiet", "q", false, "print only the pod IDs")
	f.BoolVar(&pf.noTrunc, "no-trunc", false, "do not truncate IDs")
	f.BoolVar(&pf.noHeading, "noheading", false, "do not print the header")
	f.BoolVarP(&pf.latest, "latest", "l", false, "show the latest created pod")
	f.BoolVar(&pf.ctrNames, "ctr-names", false, "show the names of the pod's containers")
	f.BoolVar(&pf.ctrIDs, "ctr-ids", false, "show the IDs of the pod's containers")
	f.BoolVar(&pf.ctrStatus, "ctr-status", false, "show the states of the pod's containers")
	f.StringVar(&pf.sort, "sort", "created", "sort by "+strings.Join(podPsSorts, ", "))
	return cmd
}

// podPsRow is one pod for --format templates: podman's placeholders.
type podPsRow struct {
	ID, Name, Status, Created, InfraID, Cgroup, Namespace string
	NumberOfContainers                                    int
	ContainerIds, ContainerNames, ContainerStatuses       string
	Networks                                              string
	Labels                                                map[string]string
	CreatedAt                                             time.Time
}

// Label is a label's value: {{.Label "key"}}.
func (r podPsRow) Label(name string) string { return r.Labels[name] }

// podPsJSON is one pod of `pod ps --format json`, with podman's field names.
type podPsJSON struct {
	Cgroup     string            `json:"Cgroup"`
	Containers []podPsContainer  `json:"Containers"`
	Created    time.Time         `json:"Created"`
	ID         string            `json:"Id"`
	InfraID    string            `json:"InfraId"`
	Name       string            `json:"Name"`
	Namespace  string            `json:"Namespace"`
	Networks   []string          `json:"Networks"`
	Status     string            `json:"Status"`
	Labels     map[string]string `json:"Labels"`
}

type podPsContainer struct {
	ID           string `json:"Id"`
	Names        string `json:"Names"`
	Status       string `json:"Status"`
	RestartCount uint   `json:"RestartCount"`
}

func (pf *podPsFlags) id(id string) string {
	if pf.noTrunc {
		return id
	}
	return id[:min(12, len(id))]
}

func (pf *podPsFlags) sortRows(list []*engine.PodSummary) {
	key := func(s *engine.PodSummary) string {
		switch pf.sort {
		case "id":
			return s.Pod.ID
		case "name":
			return s.Pod.Name
		case "number":
			return fmt.Sprintf("%09d", len(s.Containers))
		case "status":
			return s.State()
		}
		return ""
	}
	if pf.sort == "created" {
		return // newest first already
	}
	slices.SortStableFunc(list, func(a, b *engine.PodSummary) int { return strings.Compare(key(a), key(b)) })
}

func (pf *podPsFlags) write(cmd *cobra.Command, list []*engine.PodSummary) error {
	pf.sortRows(list)
	w := cmd.OutOrStdout()
	switch {
	case report.IsJSON(pf.format):
		out := make([]podPsJSON, 0, len(list))
		for _, s := range list {
			j := podPsJSON{Created: s.Pod.Created, ID: s.Pod.ID, InfraID: s.Pod.InfraID, Name: s.Pod.Name,
				Status: s.State(), Labels: s.Pod.Config.Labels, Networks: []string{}, Containers: []podPsContainer{}}
			for _, c := range s.Containers {
				j.Containers = append(j.Containers, podPsContainer{ID: c.ID, Names: c.Name, Status: c.State.Status})
			}
			out = append(out, j)
		}
		return writeJSON(w, out)
	case pf.quiet && pf.format == "":
		for _, s := range list {
			fmt.Fprintln(w, pf.id(s.Pod.ID))
		}
		return nil
	}
	format := pf.format
	if format == "" {
		cols := []string{"{{.ID}}", "{{.Name}}", "{{.Status}}", "{{.Created}}", "{{.InfraID}}"}
		for _, c := range []struct {
			on  bool
			col string
		}{{pf.ctrIDs, "{{.ContainerIds}}"}, {pf.ctrNames, "{{.ContainerNames}}"}, {pf.ctrStatus, "{{.ContainerStatuses}}"}} {
			if c.on {
				cols = append(cols, c.col)
			}
		}
		if !pf.ctrIDs && !pf.ctrNames && !pf.ctrStatus {
			cols = append(cols, "{{.NumberOfContainers}}")
		}
		format = "table " + strings.Join(cols, "\t")
	}
	rpt, err := report.New(w, "pod ps").Parse(report.OriginUser, format)
	if err != nil {
		return fmt.Errorf("--format: %w", err)
	}
	if rpt.RenderHeaders && !pf.noHeading {
		hdrs := report.Headers(podPsRow{}, map[string]string{
			"ID": "pod id", "InfraID": "infra id", "NumberOfContainers": "# of containers",
			"ContainerIds": "ids", "ContainerNames": "names", "ContainerStatuses": "status",
		})
		if err := rpt.Execute(hdrs); err != nil {
			return err
		}
	}
	now := time.Now()
	rows := make([]podPsRow, 0, len(list))
	for _, s := range list {
		rows = append(rows, pf.row(s, now))
	}
	if err := rpt.Execute(rows); err != nil {
		return fmt.Errorf("--format: %w", err)
	}
	return rpt.Flush()
}

func (pf *podPsFlags) row(s *engine.PodSummary, now time.Time) podPsRow {
	var ids, names, states []string
	for _, c := range s.Containers {
		ids = append(ids, pf.id(c.ID))
		names = append(names, c.Name)
		states = append(states, c.State.Status)
	}
	infra := ""
	if s.Pod.InfraID != "" {
		infra = pf.id(s.Pod.InfraID)
	}
	return podPsRow{
		ID: pf.id(s.Pod.ID), Name: s.Pod.Name, Status: s.State(), InfraID: infra,
		Created:   units.HumanDuration(now.Sub(s.Pod.Created)) + " ago",
		CreatedAt: s.Pod.Created, NumberOfContainers: len(s.Containers),
		ContainerIds: strings.Join(ids, ","), ContainerNames: strings.Join(names, ","),
		ContainerStatuses: strings.Join(states, ","), Labels: s.Pod.Config.Labels,
	}
}
