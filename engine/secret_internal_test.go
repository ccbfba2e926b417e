package engine

import (
	"strings"
	"testing"
)

// --secret values: defaults, targets, and the options refused.
func TestParseSecretFlag(t *testing.T) {
	for in, want := range map[string]containerSecret{
		"s":                                    {Name: "s", Target: "/run/secrets/s", Mode: 0o444},
		"s,type=env":                           {Name: "s", Env: true, Target: "s", Mode: 0o444},
		"s,type=env,target=TOKEN":              {Name: "s", Env: true, Target: "TOKEN", Mode: 0o444},
		"s,target=sub/f":                       {Name: "s", Target: "/run/secrets/sub/f", Mode: 0o444},
		"s,type=mount,target=/etc/x,mode=0400": {Name: "s", Target: "/etc/x", Mode: 0o400},
		"s,uid=1000,gid=100":                   {Name: "s", Target: "/run/secrets/s", UID: 1000, GID: 100, Mode: 0o444},
	} {
		got, err := parseSecretFlag(in)
		if err != nil || got != want {
			t.Errorf("%s: %+v, %v; want %+v", in, got, err, want)
		}
	}
	for in, msg := range map[string]string{
		"":                 "no secret name",
		"s,type=file":      "use mount or env",
		"s,mode=999":       "octal",
		"s,uid=x":          "not a number",
		"s,type=env,uid=1": "only for type=mount",
		"s,size=1":         "unknown option",
		"s,target":         "KEY=VALUE",
	} {
		if _, err := parseSecretFlag(in); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%q: %v, want %q", in, err, msg)
		}
	}
}
