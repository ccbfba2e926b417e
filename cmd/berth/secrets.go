package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"time"

	units "github.com/docker/go-units"
	"github.com/spf13/cobra"
	"go.podman.io/common/pkg/report"

	"github.com/berth-containers/berth/engine"
)

func init() { families = append(families, addSecretCommands) }

func addSecretCommands(root *cobra.Command, g *globals) {
	secret := &cobra.Command{Use: "secret", Short: "Manage secrets", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() }}
	secret.AddCommand(secretCreateCommand(g), secretListCommand(g), secretInspectCommand(g),
		secretRemoveCommand(g), existsCommand(g, "exists SECRET", "Exit 0 if a secret exists, 1 if not",
			func(rt *engine.Runtime, name string) (bool, error) {
				_, err := rt.LookupSecret(name)
				if errors.Is(err, engine.ErrNoSuchSecret) {
					return false, nil
				}
				return err == nil, err
			}))
	root.AddCommand(secret)
}

func secretCreateCommand(g *globals) *cobra.Command {
	var o engine.SecretCreateOptions
	var labels []string
	var fromEnv bool
	cmd := &cobra.Command{
		Use:   "create [options] NAME FILE|-",
		Short: "Create a secret from a file, standard input (-) or, with --env, a variable",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if o.Labels, err = keyValues("--label", labels); err != nil {
				return err
			}
			data, err := secretInput(cmd.InOrStdin(), args[1], fromEnv)
			if err != nil {
				return err
			}
			rt, err := g.openEngine(cmd.Context())
			if err != nil {
				return err
			}
			defer closeEngine(rt)
			id, err := rt.CreateSecret(args[0], data, o)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), id)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.Driver, "driver", "d", engine.SecretDriverFile, "secret driver (only file)")
	f.StringArrayVarP(&labels, "label", "l", nil, "set a label (key=value)")
	f.BoolVar(&o.Replace, "replace", false, "give an existing secret of that name the new data")
	f.BoolVar(&o.Ignore, "ignore", false, "if the name exists, print its ID and keep it")
	f.BoolVar(&fromEnv, "env", false, "read the data from the environment variable named by the second argument")
	return cmd
}

// secretInput reads the data: from a file, standard input (-) or a variable.
func secretInput(stdin io.Reader, src string, fromEnv bool) ([]byte, error) {
	switch {
	case fromEnv:
		v, ok := os.LookupEnv(src)
		if !ok {
			return nil, fmt.Errorf("environment variable %s is not set", src)
		}
		return []byte(v), nil
	case src == "-":
		data, err := io.ReadAll(stdin)
		if err != nil {
			return nil, fmt.Errorf("reading the secret from standard input: %w", err)
		}
		return data, nil
	}
	data, err := os.ReadFile(src)
	if err != nil {
		return nil, fmt.Errorf("reading the secret: %w", err)
	}
	return data, nil
}

// secretListRow is what secret ls templates see (podman's field names).
type secretListRow struct {
	ID        string
	Name      string
	Driver    string
	CreatedAt string
	UpdatedAt string
	Labels    map[string]string
}

func secretListCommand(g *globals) *cobra.Command {
	var filters []string
	var format string
	var quiet, noHeading bool
	cmd := &cobra.Command{
		Use:     "ls [options]",
		Aliases: []string{"list"},
		Short:   "List secrets",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			match, err := secretFilter(filters)
			if err != nil {
				return err
			}
			rt, err := g.openEngine(cmd.Context())
			if err != nil {
				return err
			}
			defer closeEngine(rt)
			list, err := rt.Secrets()
			if err != nil {
				return err
			}
			rows := []secretListRow{}
			for _, s := range list {
				if match(s) {
					rows = append(rows, secretListRow{ID: s.ID, Name: s.Name, Driver: s.Driver,
						CreatedAt: humanAgo(s.CreatedAt), UpdatedAt: humanAgo(s.UpdatedAt), Labels: s.Labels})
				}
			}
			w := cmd.OutOrStdout()
			switch {
			case quiet:
				for _, r := range rows {
					fmt.Fprintln(w, r.ID)
				}
				return nil
			case report.IsJSON(format):
				return writeJSON(w, rows)
			}
			if format == "" {
				format = "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.CreatedAt}}\t{{.UpdatedAt}}"
			}
			rpt, err := report.New(w, "secrets").Parse(report.OriginUser, format)
			if err != nil {
				return fmt.Errorf("--format: %w", err)
			}
			if rpt.RenderHeaders && !noHeading {
				if err := rpt.Execute(report.Headers(secretListRow{}, map[string]string{"CreatedAt": "CREATED", "UpdatedAt": "UPDATED"})); err != nil {
					return err
				}
			}
			if err := rpt.Execute(rows); err != nil {
				return fmt.Errorf("--format: %w", err)
			}
			return rpt.Flush()
		},
	}
	f := cmd.Flags()
	f.StringArrayVarP(&filters, "filter", "f", nil, "filter (name=, id=, label=)")
	f.StringVar(&format, "format", "", "Go template or json")
	f.BoolVarP(&quiet, "quiet", "q", false, "print only the IDs")
	f.BoolVarP(&noHeading, "noheading", "n", false, "do not print the header")
	return cmd
}

// secretFilter reads --filter name=REGEXP, id=PREFIX, label=KEY[=VALUE]: values of one
// key are alternatives, different keys must all match.
func secretFilter(filters []string) (func(engine.Secret) bool, error) {
	var tests []func(engine.Secret) bool
	byKey := map[string][]string{}
	for _, f := range filters {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return nil, fmt.Errorf("--filter %q: use KEY=VALUE", f)
		}
		byKey[k] = append(byKey[k], v)
	}
	for k, vals := range byKey {
		switch k {
		case "name":
			var res []*regexp.Regexp
			for _, v := range vals {
				re, err := regexp.Compile(v)
				if err != nil {
					return nil, fmt.Errorf("--filter name=%s: %w", v, err)
				}
				res = append(res, re)
			}
			tests = append(tests, func(s engine.Secret) bool {
				for _, re := range res {
					if re.MatchString(s.Name) {
						return true
					}
				}
				return false
			})
		case "id":
			tests = append(tests, func(s engine.Secret) bool {
				for _, v := range vals {
					if strings.HasPrefix(s.ID, v) {
						return true
					}
				}
				return false
			})
		case "label":
			tests = append(tests, func(s engine.Secret) bool {
				for _, v := range vals {
					lk, lv, hasValue := strings.Cut(v, "=")
					if got, ok := s.Labels[lk]; !ok || (hasValue && got != lv) {
						return false
					}
				}
				return true
			})
		default:
			return nil, fmt.Errorf("--filter %q: use name=, id= or label=", k)
		}
	}
	return func(s engine.Secret) bool {
		for _, t := range tests {
			if !t(s) {
				return false
			}
		}
		return true
	}, nil
}

// humanAgo is podman's "2 minutes ago".
func humanAgo(t time.Time) string { return units.HumanDuration(time.Since(t)) + " ago" }

// secretInspectDoc is podman's secret inspect document.
type secretInspectDoc struct {
	ID         string
	CreatedAt  time.Time
	UpdatedAt  time.Time
	Spec       secretSpecDoc
	SecretData string `json:",omitempty"`
}

type secretSpecDoc struct {
	Name   string
	Driver struct {
		Name    string
		Options map[string]string
	}
	Labels map[string]string
}

func secretInspectCommand(g *globals) *cobra.Command {
	var format string
	var showSecret, all bool
	cmd := &cobra.Command{
		Use:   "inspect [options] SECRET [SECRET...]",
		Short: "Show secrets in detail (JSON)",
		Args:  namesOrAll("secret", &all),
		RunE: func(cmd *cobra.Command, args []string) error {
			rt, err := g.openEngine(cmd.Context())
			if err != nil {
				return err
			}
			defer closeEngine(rt)
			if all {
				list, err := rt.Secrets()
				if err != nil {
					return err
				}
				for _, s := range list {
					args = append(args, s.ID)
				}
			}
			out := []secretInspectDoc{}
			var errs []error
			for _, name := range args {
				s, data, err := rt.SecretData(name)
				if err != nil {
					errs = append(errs, err)
					continue
				}
				d := secretInspectDoc{ID: s.ID, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt}
				d.Spec.Name, d.Spec.Labels = s.Name, s.Labels
				d.Spec.Driver.Name, d.Spec.Driver.Options = s.Driver, s.DriverOptions
				if d.Spec.Labels == nil {
					d.Spec.Labels = map[string]string{}
				}
				if showSecret {
					d.SecretData = string(data)
				}
				out = append(out, d)
			}
			if err := writeInspect(cmd.OutOrStdout(), format, out); err != nil {
				return err
			}
			return lastError(errs, engine.ExitEngine)
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "json", "Go template or json")
	cmd.Flags().BoolVar(&showSecret, "showsecret", false, "show the secret's data too")
	cmd.Flags().BoolVarP(&all, "all", "a", false, "inspect every secret")
	return cmd
}

func secretRemoveCommand(g *globals) *cobra.Command {
	var all, ignore bool
	cmd := &cobra.Command{
		Use:     "rm [options] SECRET [SECRET...]",
		Aliases: []string{"remove"},
		Short:   "Remove secrets (containers that use one keep their copy)",
		Args:    namesOrAll("secret", &all),
		RunE: func(cmd *cobra.Command, args []string) error {
			rt, err := g.openEngine(cmd.Context())
			if err != nil {
				return err
			}
			defer closeEngine(rt)
			if all {
				list, err := rt.Secrets()
				if err != nil {
					return err
				}
				for _, s := range list {
					args = append(args, s.ID)
				}
			}
			var errs []error
			for _, name := range args {
				id, err := rt.RemoveSecret(name)
				if err != nil {
					if !(ignore && errors.Is(err, engine.ErrNoSuchSecret)) {
						errs = append(errs, err)
					}
					continue
				}
				fmt.Fprintln(cmd.OutOrStdout(), id)
			}
			return lastError(errs, engine.ExitEngine)
		},
	}
	cmd.Flags().BoolVarP(&all, "all", "a", false, "remove every secret")
	cmd.Flags().BoolVarP(&ignore, "ignore", "i", false, "do not fail for secrets that do not exist")
	return cmd
}
