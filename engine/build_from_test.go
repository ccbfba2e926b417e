package engine

import (
	"slices"
	"strings"
	"testing"
)

func TestBaseImages(t *testing.T) {
	file := `# syntax=docker/dockerfile:1
ARG REG=quay.io
ARG BASE
FROM ${REG}/org/builder:1 AS build
ARG REG=ignored.example
RUN make \
    all
FROM --platform=linux/amd64 $BASE AS base
FROM build AS again
COPY --from=build /out /out
COPY --from=docker.io/library/alpine:3 /etc/os-release /
COPY --from=0 /x /x
FROM ${MISSING:-localhost/fallback:v2}
FROM scratch
FROM ${UNSET}
`
	got, err := baseImages(strings.NewReader(file), map[string]string{"BASE": "mybase:v1"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"quay.io/org/builder:1", "mybase:v1", "docker.io/library/alpine:3", "localhost/fallback:v2"}
	if !slices.Equal(got, want) {
		t.Errorf("baseImages = %q, want %q", got, want)
	}
}

func TestExpandArgs(t *testing.T) {
	defaults, given := map[string]string{"A": "a", "E": ""}, map[string]string{"B": "b"}
	for in, want := range map[string]string{
		"$A/${B}":       "a/b",
		"${E:-def}":     "def",
		"${A:+alt}":     "alt",
		"${E:+alt}x":    "x",
		"${NOPE}:tag":   "${NOPE}:tag",
		"plain":         "plain",
		"${B:-other}:1": "b:1",
	} {
		if got := expandArgs(in, defaults, given); got != want {
			t.Errorf("expandArgs(%q) = %q, want %q", in, got, want)
		}
	}
}
