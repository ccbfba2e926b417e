package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/berth-containers/berth/engine"
)

// Image commands: pull, images, rmi, tag, load, save, and the same under "image"
// (image pull, image ls, image rm, image tag, image inspect, image exists, ...).
func init() { families = append(families, addImageCommands) }

func addImageCommands(root *cobra.Command, g *globals) {
	image := &cobra.Command{Use: "image", Short: "Manage images", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() }}
	image.AddCommand(pullCommand(g), listCommand(g, "ls", "list"), removeCommand(g, "rm", "remove"),
		tagCommand(g), inspectImageCommand(g), existsImageCommand(g), loadCommand(g), saveCommand(g), pushCommand(g))
	root.AddCommand(image, pullCommand(g), listCommand(g, "images"), removeCommand(g, "rmi"), tagCommand(g),
		loadCommand(g), saveCommand(g), pushCommand(g))
}

// openEngine opens the engine for one command with the global flags, and points the
// container libraries' own logging (logrus) at the same level. The caller must call
// closeEngine.
func (g *globals) openEngine(ctx context.Context) (*engine.Runtime, error) {
	o, err := g.options()
	if err != nil {
		return nil, err
	}
	// A user other than root continues in a user namespace of its own (rootless.go).
	if err := enterRootless(o.Log); err != nil {
		return nil, err
	}
	level, _ := parseLevel(g.logLevel)
	switch {
	case level <= -4:
		logrus.SetLevel(logrus.DebugLevel)
		// Times to the millisecond, as berth's own lines have them, so that the two
		// interleave into one timeline.
		logrus.SetFormatter(&logrus.TextFormatter{FullTimestamp: true, TimestampFormat: "15:04:05.000"})
	case level <= 0:
		logrus.SetLevel(logrus.InfoLevel)
	case level <= 4:
		logrus.SetLevel(logrus.WarnLevel)
	default:
		logrus.SetLevel(logrus.ErrorLevel)
	}
	return engine.New(ctx, o)
}

// closeEngine releases the storage. A layer still mounted by a running container is
// no error for a command that did not mount it.
func closeEngine(rt *engine.Runtime) {
	if err := rt.Shutdown(false); err != nil {
		rt.Log().Debug("storage shutdown", "error", err)
	}
}

// interruptible cancels the context on SIGINT or SIGTERM, so that an interrupted pull
// or load stops cleanly and removes what it stored.
func interruptible(ctx context.Context) (context.Context, context.CancelFunc) {
	return signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
}

// isTerminal reports whether f is a terminal: progress bars are drawn only there, so
// that a unit's journal stays quiet.
func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

type pullFlags struct {
	policy, creds, authfile, certDir, arch, os, variant, platform, retryDelay string
	tlsVerify, quiet, allTags                                                 bool
	retry                                                                     uint
	decryptionKeys                                                            []string
}

func pullCommand(g *globals) *cobra.Command {
	var pf pullFlags
	cmd := &cobra.Command{
		Use:   "pull [options] IMAGE [IMAGE...]",
		Short: "Pull images from a registry or an archive",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o, err := pf.options(cmd)
			if err != nil {
				return err
			}
			for _, name := range args {
				if err := engine.CheckImageName(name); err != nil {
					return err
				}
			}
			ctx, cancel := interruptible(cmd.Context())
			defer cancel()
			rt, err := g.openEngine(ctx)
			if err != nil {
				return err
			}
			defer closeEngine(rt)
			for _, name := range args {
				imgs, err := rt.Pull(ctx, name, o)
				if err != nil {
					return err
				}
				for _, img := range imgs {
					fmt.Fprintln(cmd.OutOrStdout(), img.ID())
				}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&pf.policy, "policy", "always", "pull policy: always, missing, newer, never")
	pf.registryFlags(f)
	f.StringArrayVar(&pf.decryptionKeys, "decryption-key", nil, "KEY[:PASSPHRASE]: a private key that decrypts encrypted layers")
	f.StringVar(&pf.arch, "arch", "", "architecture of the image to pull (default: this machine's)")
	f.StringVar(&pf.os, "os", "", "operating system of the image to pull (default: this machine's)")
	f.StringVar(&pf.variant, "variant", "", "architecture variant of the image to pull")
	f.StringVar(&pf.platform, "platform", "", "OS/ARCH[/VARIANT] of the image to pull")
	f.BoolVarP(&pf.allTags, "all-tags", "a", false, "pull every tag of the repository")
	f.BoolVarP(&pf.quiet, "quiet", "q", false, "print only the image IDs")
	return cmd
}

// registryFlags are the flags of every command that talks to a registry (pull, push,
// artifact pull and push).
func (pf *pullFlags) registryFlags(f *pflag.FlagSet) {
	f.StringVar(&pf.creds, "creds", "", "credentials (user[:password]) for the registry")
	f.StringVar(&pf.authfile, "authfile", "", "path of the authentication file (default $REGISTRY_AUTH_FILE or auth.json)")
	f.StringVar(&pf.certDir, "cert-dir", "", "folder of certificates (*.crt) and keys (*.cert, *.key) for the registry")
	f.BoolVar(&pf.tlsVerify, "tls-verify", true, "require HTTPS and verify certificates (default: registries.conf)")
	f.UintVar(&pf.retry, "retry", 3, "how often to retry a failed transfer")
	f.StringVar(&pf.retryDelay, "retry-delay", "", "delay between retries (default: exponential from 1s)")
}

// options turns the flags into engine options, rejecting bad values before any work.
func (pf *pullFlags) options(cmd *cobra.Command) (engine.PullOptions, error) {
	o := engine.PullOptions{Policy: pf.policy, Arch: pf.arch, OS: pf.os, Variant: pf.variant,
		AllTags: pf.allTags, DecryptionKeys: pf.decryptionKeys}
	switch strings.ToLower(pf.policy) {
	case "always", "missing", "newer", "never", "ifmissing", "ifnewer":
	default:
		return o, fmt.Errorf("--policy %q: use always, missing, newer or never", pf.policy)
	}
	if err := pf.registryOptions(cmd, &o); err != nil {
		return o, err
	}
	return o, pf.platformOptions(&o)
}

// registryOptions reads the flags of registryFlags, and --quiet, into o.
func (pf *pullFlags) registryOptions(cmd *cobra.Command, o *engine.PullOptions) error {
	o.Creds, o.AuthFile, o.CertDir, o.Quiet = pf.creds, pf.authfile, pf.certDir, pf.quiet
	if cmd.Flags().Changed("tls-verify") {
		v := pf.tlsVerify
		o.TLSVerify = &v
	}
	if cmd.Flags().Changed("retry") {
		r := pf.retry
		o.Retry = &r
	}
	if pf.retryDelay != "" {
		d, err := time.ParseDuration(pf.retryDelay)
		if err != nil || d < 0 {
			return fmt.Errorf("--retry-delay %q: not a duration such as 2s", pf.retryDelay)
		}
		o.RetryDelay = d
	}
	if !pf.quiet && isTerminal(os.Stderr) {
		o.Progress = os.Stderr
	}
	return nil
}

// platformOptions reads --platform into o.
func (pf *pullFlags) platformOptions(o *engine.PullOptions) error {
	if pf.platform == "" {
		return nil
	}
	if pf.arch != "" || pf.os != "" || pf.variant != "" {
		return fmt.Errorf("--platform cannot be used with --arch, --os or --variant")
	}
	parts := strings.Split(pf.platform, "/")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
		return fmt.Errorf("--platform %q: use OS/ARCH[/VARIANT]", pf.platform)
	}
	o.OS, o.Arch = parts[0], parts[1]
	if len(parts) == 3 {
		o.Variant = parts[2]
	}
	return nil
}

func tagCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "tag IMAGE TARGET_NAME [TARGET_NAME...]",
		Short: "Add names to a local image",
		Args:  cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			rt, err := g.openEngine(cmd.Context())
			if err != nil {
				return err
			}
			defer closeEngine(rt)
			return rt.Tag(args[0], args[1:]...)
		},
	}
}
