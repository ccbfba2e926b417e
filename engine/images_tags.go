package engine

import (
	"context"
	"fmt"
	"strings"

	"go.podman.io/common/libimage"
	"go.podman.io/common/pkg/config"
	"go.podman.io/common/pkg/retry"
	"go.podman.io/image/v5/docker"
	"go.podman.io/image/v5/docker/reference"
	"go.podman.io/image/v5/types"
)

// pullAllTags pulls every tag of a repository. The image library can do it itself, but
// it lists the tags with the runtime's settings only, so that --tls-verify, --cert-dir,
// --creds and --authfile would not reach the listing: berth lists them here with the
// pull's settings, then pulls tag by tag.
func (r *Runtime) pullAllTags(ctx context.Context, name string, policy config.PullPolicy, copts libimage.CopyOptions) ([]*libimage.Image, error) {
	repo, err := allTagsRepository(name)
	if err != nil {
		return nil, err
	}
	ref, err := docker.NewReference(reference.TagNameOnly(repo))
	if err != nil {
		return nil, err
	}
	sys := r.registryContext(copts)
	var tags []string
	ro := &retry.Options{MaxRetry: int(r.cfg.Engine.Retry)}
	if copts.MaxRetries != nil {
		ro.MaxRetry = int(*copts.MaxRetries)
	}
	if copts.RetryDelay != nil {
		ro.Delay = *copts.RetryDelay
	}
	err = retry.IfNecessary(ctx, func() error {
		tags, err = docker.GetRepositoryTags(ctx, sys, ref)
		return err
	}, ro)
	if err != nil {
		return nil, fmt.Errorf("listing the tags of %s: %w", repo, err)
	}
	var out []*libimage.Image
	for _, tag := range tags {
		tagged, err := reference.WithTag(repo, tag)
		if err != nil {
			return nil, fmt.Errorf("tag %q of %s: %w", tag, repo, err)
		}
		imgs, err := r.images.Pull(ctx, tagged.String(), policy, &libimage.PullOptions{CopyOptions: copts})
		if err != nil {
			return nil, err
		}
		out = append(out, imgs...)
	}
	return out, nil
}

// allTagsRepository is the repository --all-tags pulls: a registry name with neither a
// tag nor a digest (podman refuses those too).
func allTagsRepository(name string) (reference.Named, error) {
	rest, hasTransport := strings.CutPrefix(name, "docker://")
	if t, _, ok := strings.Cut(name, ":"); ok && !hasTransport && isTransport(t) {
		return nil, fmt.Errorf("--all-tags pulls from a registry only, not from %s: %w", t, ErrUnsupported)
	}
	named, err := reference.ParseNormalizedNamed(rest)
	if err != nil {
		return nil, fmt.Errorf("%w %q: %w", ErrInvalidImageName, name, err)
	}
	if !reference.IsNameOnly(named) {
		return nil, fmt.Errorf("--all-tags needs a repository without a tag or digest, not %s", name)
	}
	return named, nil
}

// registryContext is the system context for talking to a registry outside a copy,
// with a pull's TLS, certificate and credential settings, as the image library's
// copier builds it for a copy.
func (r *Runtime) registryContext(c libimage.CopyOptions) *types.SystemContext {
	sys := *r.sys
	if c.InsecureSkipTLSVerify != types.OptionalBoolUndefined {
		sys.DockerInsecureSkipTLSVerify = c.InsecureSkipTLSVerify
	}
	if c.CertDirPath != "" {
		sys.DockerCertPath = c.CertDirPath
	}
	if c.AuthFilePath != "" {
		sys.AuthFilePath = c.AuthFilePath
	}
	if c.Credentials != "" {
		user, pass, _ := strings.Cut(c.Credentials, ":")
		sys.DockerAuthConfig = &types.DockerAuthConfig{Username: user, Password: pass}
	}
	return &sys
}
