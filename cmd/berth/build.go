package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/berth-containers/berth/engine"
)

// build (and image build): podman build's command line over engine.Build, which drives
// buildah.
func init() {
	families = append(families, func(root *cobra.Command, g *globals) { root.AddCommand(buildCommand(g)) })
}

type buildFlags struct {
	o                   engine.BuildOptions
	reg                 pullFlags
	pull, platform      string
	forceRM, rm, layers bool
	decryptionKeys      []string
}

func buildCommand(g *globals) *cobra.Command {
	var bf buildFlags
	cmd := &cobra.Command{
		Use:     "build [options] [CONTEXT]",
		Aliases: []string{"buildx"},
		Short:   "Build an image from a Containerfile (with buildah)",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o, err := bf.options(cmd, args)
			if err != nil {
				return err
			}
			ctx, cancel := interruptible(cmd.Context())
			defer cancel()
			rt, err := g.openEngine(ctx)
			if err != nil {
				return err
			}
			defer closeEngine(rt)
			img, err := rt.Build(ctx, o)
			if err != nil {
				return err
			}
			// buildah prints no ID when given --iidfile, which berth always gives it.
			if o.IIDFile == "" {
				fmt.Fprintln(cmd.OutOrStdout(), img.ID())
			}
			return nil
		},
	}
	f := cmd.Flags()
	o := &bf.o
	f.StringArrayVarP(&o.Tags, "tag", "t", nil, "name of the built image (repeatable)")
	f.StringArrayVarP(&o.Files, "file", "f", nil, "Containerfile, path or URL (default CONTEXT/Containerfile or Dockerfile)")
	f.StringArrayVar(&o.BuildArgs, "build-arg", nil, "NAME[=VALUE] for an ARG of the Containerfile")
	f.StringArrayVar(&o.Labels, "label", nil, "KEY=VALUE label of the image")
	f.StringArrayVar(&o.Annotations, "annotation", nil, "KEY=VALUE annotation of the image")
	f.StringArrayVar(&o.Env, "env", nil, "KEY=VALUE set in the image's environment")
	f.StringArrayVar(&o.Unsetenv, "unsetenv", nil, "remove a variable from the image's environment")
	f.StringVar(&bf.pull, "pull", "missing", "pull policy for base images: always, missing, never, newer")
	f.Lookup("pull").NoOptDefVal = "always"
	f.StringVar(&o.Target, "target", "", "build up to this stage")
	f.StringVar(&o.Network, "network", "", "network of RUN steps: private, host, none, ns:PATH")
	f.StringArrayVar(&o.Secrets, "secret", nil, "id=ID,src=PATH: a secret for RUN --mount=type=secret")
	f.StringArrayVarP(&o.Volumes, "volume", "v", nil, "SRC:DEST[:OPTS] mounted into RUN steps (SRC a path or a volume)")
	f.StringVar(&o.IgnoreFile, "ignorefile", "", "ignore file instead of the context's .containerignore")
	f.StringSliceVar(&o.DNS, "dns", nil, "DNS server for RUN steps")
	f.StringSliceVar(&o.DNSOptions, "dns-option", nil, "resolv.conf option for RUN steps")
	f.StringSliceVar(&o.DNSSearch, "dns-search", nil, "DNS search domain for RUN steps")
	f.StringSliceVar(&o.AddHosts, "add-host", nil, "HOST:IP for RUN steps' /etc/hosts")
	f.StringSliceVar(&o.CapAdd, "cap-add", nil, "capability to add to RUN steps")
	f.StringSliceVar(&o.CapDrop, "cap-drop", nil, "capability to drop from RUN steps")
	f.StringArrayVar(&o.SecurityOpts, "security-opt", nil, "security option for RUN steps")
	f.StringSliceVar(&o.Ulimits, "ulimit", nil, "resource limit for RUN steps")
	f.StringVar(&o.ShmSize, "shm-size", "", "size of /dev/shm for RUN steps")
	f.StringSliceVar(&o.GroupAdd, "group-add", nil, "supplementary group for RUN steps (not supported)")
	// Each build runs in a store of its own that is removed afterwards, intermediate
	// containers and layers included, whatever these say.
	f.BoolVar(&bf.forceRM, "force-rm", true, "remove intermediate containers even when the build fails (always, in berth)")
	f.BoolVar(&bf.rm, "rm", true, "remove intermediate containers after a successful build (always, in berth)")
	f.BoolVar(&bf.layers, "layers", true, "cache intermediate layers (berth keeps no build cache)")
	f.BoolVar(&o.NoCache, "no-cache", false, "do not use cached layers")
	f.BoolVar(&o.Squash, "squash", false, "squash the new layers into one")
	f.BoolVarP(&o.Quiet, "quiet", "q", false, "print only the image ID")
	f.StringVar(&o.Format, "format", "", "image format: oci or docker")
	f.StringVar(&o.Arch, "arch", "", "architecture of the image")
	f.StringVar(&o.OS, "os", "", "operating system of the image")
	f.StringVar(&o.Variant, "variant", "", "architecture variant of the image")
	f.StringVar(&bf.platform, "platform", "", "OS/ARCH[/VARIANT] of the image")
	f.StringVar(&o.IIDFile, "iidfile", "", "write the image ID to this file")
	bf.reg.registryFlags(f)
	f.StringArrayVar(&bf.decryptionKeys, "decryption-key", nil, "KEY[:PASSPHRASE] that decrypts base images")
	return cmd
}

func (bf *buildFlags) options(cmd *cobra.Command, args []string) (engine.BuildOptions, error) {
	o := bf.o
	o.Stdout, o.Stderr, o.Stdin = os.Stdout, os.Stderr, os.Stdin
	o.Pull = bf.pull
	o.ContextDir = "."
	if len(args) == 1 {
		o.ContextDir = args[0]
	}
	if err := bf.reg.registryOptions(cmd, &o.Registry); err != nil {
		return o, err
	}
	o.Registry.DecryptionKeys = bf.decryptionKeys
	if bf.platform != "" {
		pf := pullFlags{platform: bf.platform, arch: o.Arch, os: o.OS, variant: o.Variant}
		var po engine.PullOptions
		if err := pf.platformOptions(&po); err != nil {
			return o, err
		}
		o.OS, o.Arch, o.Variant = po.OS, po.Arch, po.Variant
	}
	if o.Format == "oci" || o.Format == "docker" || o.Format == "" {
		return o, nil
	}
	return o, fmt.Errorf("--format %q: use oci or docker", o.Format)
}
