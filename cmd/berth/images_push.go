package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/berth-containers/berth/engine"
)

// pushCommand is `push` and `image push`: a local image to a registry or any
// transport (oci:, oci-archive:, dir: ...).
func pushCommand(g *globals) *cobra.Command {
	var (
		pf         pullFlags
		po         engine.PushOptions
		digestFile string
	)
	cmd := &cobra.Command{
		Use:   "push [options] IMAGE [DESTINATION]",
		Short: "Push an image to a registry or another location",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := pf.registryOptions(cmd, &po.PullOptions); err != nil {
				return err
			}
			dest := ""
			if len(args) == 2 {
				dest = args[1]
			}
			ctx, cancel := interruptible(cmd.Context())
			defer cancel()
			rt, err := g.openEngine(ctx)
			if err != nil {
				return err
			}
			defer closeEngine(rt)
			d, err := rt.Push(ctx, args[0], dest, po)
			if err != nil {
				return err
			}
			if digestFile != "" {
				if err := os.WriteFile(digestFile, []byte(d.String()), 0o644); err != nil {
					return fmt.Errorf("--digestfile: %w", err)
				}
			}
			return nil
		},
	}
	f := cmd.Flags()
	pf.registryFlags(f)
	f.BoolVarP(&pf.quiet, "quiet", "q", false, "print no progress")
	f.StringVarP(&po.Format, "format", "f", "", "manifest type: oci, v2s2 or v2s1 (default: the image's)")
	f.BoolVar(&po.RemoveSignatures, "remove-signatures", false, "do not copy the image's signatures")
	f.StringVar(&digestFile, "digestfile", "", "write the digest of the pushed manifest to this file")
	f.StringArrayVar(&po.EncryptionKeys, "encryption-key", nil, "PROTOCOL:KEYFILE: encrypt the layers for this recipient (jwe, pgp, pkcs7)")
	f.IntSliceVar(&po.EncryptLayers, "encrypt-layer", nil, "indexes of the layers to encrypt (negative from the last; default all)")
	return cmd
}
