package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/berth-containers/berth/engine"
)

func loadCommand(g *globals) *cobra.Command {
	var input string
	var quiet bool
	cmd := &cobra.Command{
		Use:   "load [options]",
		Short: "Load images from an OCI or docker archive",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := interruptible(cmd.Context())
			defer cancel()
			path := input
			if path == "" {
				p, cleanup, err := stdinToFile(g)
				if err != nil {
					return err
				}
				defer cleanup()
				path = p
			}
			rt, err := g.openEngine(ctx)
			if err != nil {
				return err
			}
			defer closeEngine(rt)
			names, err := rt.Load(ctx, path)
			if err != nil {
				return err
			}
			for _, n := range names {
				fmt.Fprintln(cmd.OutOrStdout(), "Loaded image:", n)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&input, "input", "i", "", "archive to read (default: standard input)")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "no progress output")
	return cmd
}

// stdinToFile copies an archive piped on standard input to a temporary file: the
// archive formats need to seek.
func stdinToFile(g *globals) (string, func(), error) {
	if isTerminal(os.Stdin) {
		return "", nil, fmt.Errorf("cannot read an archive from a terminal: use --input or redirect standard input")
	}
	f, err := os.CreateTemp(g.tmpDir, "berth-load-*.tar")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { os.Remove(f.Name()) }
	_, err = io.Copy(f, os.Stdin)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		cleanup()
		return "", nil, fmt.Errorf("reading the archive from standard input: %w", err)
	}
	return f.Name(), cleanup, nil
}

func saveCommand(g *globals) *cobra.Command {
	var output, format string
	var quiet bool
	cmd := &cobra.Command{
		Use:   "save [options] IMAGE [IMAGE...]",
		Short: "Save images to an OCI or docker archive",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch format {
			case engine.FormatOCIArchive, engine.FormatDockerArchive:
			case "oci-dir", "docker-dir":
				return fmt.Errorf("--format %s: %w; use oci-archive or docker-archive", format, engine.ErrUnsupported)
			default:
				return fmt.Errorf("--format %q: use oci-archive or docker-archive", format)
			}
			if output == "" && isTerminal(os.Stdout) {
				return fmt.Errorf("refusing to write an archive to a terminal: use --output or redirect standard output")
			}
			ctx, cancel := interruptible(cmd.Context())
			defer cancel()
			rt, err := g.openEngine(ctx)
			if err != nil {
				return err
			}
			defer closeEngine(rt)
			if output != "" {
				return rt.Save(ctx, args, format, output)
			}
			dir, err := os.MkdirTemp(g.tmpDir, "berth-save-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(dir)
			path := filepath.Join(dir, "archive.tar")
			if err := rt.Save(ctx, args, format, path); err != nil {
				return err
			}
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = io.Copy(cmd.OutOrStdout(), f)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVarP(&output, "output", "o", "", "archive to write (default: standard output)")
	f.StringVar(&format, "format", engine.FormatDockerArchive, "oci-archive or docker-archive")
	f.BoolVarP(&quiet, "quiet", "q", false, "no progress output")
	return cmd
}
