package quadlet

import (
	"path/filepath"
	"strconv"
	"strings"

	"github.com/berth-containers/berth/units"
)

// Conv is the state of one conversion: the source, the service being built, and the
// engine arguments collected so far. Unit type converters work through it.
type Conv struct {
	Src     *Source
	File    *units.File // the source, drop-ins merged; read keys from here
	Section string      // the unit type's own section, e.g. "Container"
	Service *units.File // the service being built
	Args    []string    // engine arguments after the subcommand, in order
	Diags   *Diagnostics
	Opts    Options
	R       *resolver
	table   *Table
}

func newConv(s *Source, t *unitType, r *resolver, ds *Diagnostics) *Conv {
	svc := s.File.Clone()
	svc.Path = ""
	// [Unit] comes before the sections the converter adds, and starts with SourcePath.
	svc.EnsureSection("Unit")
	svc.Add("Unit", "SourcePath", s.File.Path)
	return &Conv{Src: s, File: s.File, Section: t.table.Section, Service: svc, Diags: ds,
		Opts: r.opts, R: r, table: t.table}
}

// Pos returns where key was last set, or where the section starts.
func (c *Conv) Pos(key string) units.Pos {
	if l := c.File.Last(c.Section, key); l != nil {
		return l.Pos
	}
	if s := c.File.Section(c.Section); s != nil {
		return s.Pos
	}
	return units.Pos{File: c.File.Path}
}

// Errorf records an error about key (its position) or about the file when key is "".
func (c *Conv) Errorf(key, format string, a ...any) { c.Diags.Errorf(c.Pos(key), format, a...) }

// Warnf records a warning about key.
func (c *Conv) Warnf(key, format string, a ...any) { c.Diags.Warnf(c.Pos(key), format, a...) }

// checkKeys reports keys the unit type does not know, and values of the wrong kind.
func (c *Conv) checkKeys() bool {
	ok := true
	for _, t := range []*Table{c.table, quadletTable} {
		for _, l := range c.File.Entries(t.Section) {
			k := t.Lookup(l.Key)
			if k == nil {
				msg := "unsupported key '" + l.Key + "' in group '" + t.Section + "' in " + c.File.Path
				if s := t.Suggest(l.Key); s != "" {
					msg += " (did you mean '" + s + "'?)"
				}
				c.Diags.Errorf(l.Pos, "%s", msg)
				ok = false
				continue
			}
			if err := checkKind(k.Kind, units.TrimQuotes(l.Value)); err != "" && l.Value != "" {
				c.Diags.Errorf(l.Pos, "%s=%s: %s", l.Key, l.Value, err)
				ok = false
			}
		}
	}
	for _, l := range c.File.Entries("Service") {
		// The engine runs as the service's user; these break it (podman warns alike).
		if l.Key == "DynamicUser" || l.Key == "User" || l.Key == "Group" {
			c.Diags.Warnf(l.Pos, "using key %s in the Service group is not supported", l.Key)
		}
	}
	return ok
}

func checkKind(k Kind, v string) string {
	switch k {
	case Bool, BoolValue:
		if _, ok := ParseBool(v); !ok {
			return "not a boolean (use true or false)"
		}
	case Int:
		if _, err := strconv.ParseInt(v, 10, 64); err != nil {
			return "not an integer"
		}
	}
	return ""
}

// ParseBool reads a systemd boolean.
func ParseBool(v string) (value, ok bool) {
	switch strings.ToLower(v) {
	case "1", "yes", "y", "true", "t", "on":
		return true, true
	case "0", "no", "n", "false", "f", "off":
		return false, true
	}
	return false, false
}

// String returns the last value of key in the unit's section, unquoted.
func (c *Conv) String(key string) (string, bool) { return c.File.Get(c.Section, key) }

// Bool returns key as a boolean and whether it was set (to a valid value).
func (c *Conv) Bool(key string) (value, set bool) {
	v, ok := c.String(key)
	if !ok {
		return false, false
	}
	return ParseBool(v)
}

// BoolOr returns key as a boolean, or def when it is not set.
func (c *Conv) BoolOr(key string, def bool) bool {
	if v, ok := c.Bool(key); ok {
		return v
	}
	return def
}

// Lines returns every value of key in effect, each unquoted.
func (c *Conv) Lines(key string) []string {
	vals := c.File.All(c.Section, key)
	for i, v := range vals {
		vals[i] = units.TrimQuotes(v)
	}
	return vals
}

// Words returns every word of every value of key. A value that cannot be split (an
// unknown escape) is skipped with a warning, as podman does.
func (c *Conv) Words(key string) []string {
	return c.wordsOf(c.File.AllLines(c.Section, key))
}

// LastWords returns the words of the last value of key, and whether it was set and
// could be split.
func (c *Conv) LastWords(key string) ([]string, bool) {
	if l := c.File.Last(c.Section, key); l != nil {
		return c.splitLine(l)
	}
	return nil, false
}

func (c *Conv) wordsOf(lines []*units.Line) []string {
	var out []string
	for _, l := range lines {
		w, _ := c.splitLine(l)
		out = append(out, w...)
	}
	return out
}

// splitLine splits a value into words, warning about one that cannot be split.
func (c *Conv) splitLine(l *units.Line) ([]string, bool) {
	w, err := units.SplitWords(l.Value)
	if err != nil {
		c.Diags.Warnf(l.Pos, "%s: %v", l.Key, err)
		return nil, false
	}
	return w, true
}

// KeyValues returns the KEY=VALUE words of key in order; a later word for the same KEY
// replaces the earlier one in place.
func (c *Conv) KeyValues(key string) []string {
	words := c.Words(key)
	index := map[string]int{}
	var out []string
	for _, w := range words {
		k, _, _ := strings.Cut(w, "=")
		if i, ok := index[k]; ok {
			out[i] = w
			continue
		}
		index[k] = len(out)
		out = append(out, w)
	}
	return out
}

// Add appends engine arguments.
func (c *Conv) Add(args ...string) { c.Args = append(c.Args, args...) }

// Flag appends a flag with a value: "--flag=value" when flag ends in "=", else two
// words.
func (c *Conv) Flag(flag, value string) {
	if strings.HasSuffix(flag, "=") {
		c.Args = append(c.Args, flag+value)
		return
	}
	c.Args = append(c.Args, flag, value)
}

// ApplyKeys translates, in table order, every key that is set and that the converter
// does not read itself.
func (c *Conv) ApplyKeys() {
	for i := range c.table.Keys {
		k := &c.table.Keys[i]
		if k.Converter || c.File.Last(c.Section, k.Name) == nil {
			continue
		}
		if k.Apply != nil {
			k.Apply(c, k)
			continue
		}
		c.applyFlag(k)
	}
}

func (c *Conv) applyFlag(k *Key) {
	switch k.Kind {
	case String, Int:
		if v, ok := c.String(k.Name); ok && v != "" {
			c.Flag(k.Flag, v)
		}
	case Bool:
		if v, _ := c.Bool(k.Name); v {
			c.Add(strings.TrimSuffix(k.Flag, "="))
		}
	case BoolValue:
		if v, ok := c.Bool(k.Name); ok {
			c.Flag(strings.TrimSuffix(k.Flag, "=")+"=", strconv.FormatBool(v))
		}
	case Lines:
		for _, v := range c.Lines(k.Name) {
			c.Flag(k.Flag, v)
		}
	case Words:
		for _, w := range c.Words(k.Name) {
			c.Flag(k.Flag, w)
		}
	case KeyValue:
		for _, w := range c.KeyValues(k.Name) {
			c.Flag(k.Flag, w)
		}
	}
}

// GlobalArgs are the engine's global arguments from ContainersConfModule= and
// GlobalArgs= (commonKeys, in every table), which go before the subcommand.
func (c *Conv) GlobalArgs() []string {
	var out []string
	for _, m := range c.Lines("ContainersConfModule") {
		out = append(out, "--module="+m)
	}
	return append(out, c.Words("GlobalArgs")...)
}

// PodmanArgs are the extra subcommand arguments of PodmanArgs=.
func (c *Conv) PodmanArgs() []string { return c.Words("PodmanArgs") }

// EngineLine renders an Exec line: prefix (such as "-"), the engine, the global
// arguments, then args, each word quoted as systemd needs.
func (c *Conv) EngineLine(prefix string, args ...string) string {
	words := make([]string, 0, len(args)+8)
	words = append(words, c.Opts.Engine)
	words = append(words, c.GlobalArgs()...)
	words = append(words, args...)
	return prefix + units.QuoteWords(words)
}

// Exec adds Key=<engine line> to [Service].
func (c *Conv) Exec(key, prefix string, args ...string) {
	c.Service.Add("Service", key, c.EngineLine(prefix, args...))
}

// SetDefault sets [section] key=value unless the source already sets key.
func (c *Conv) SetDefault(section, key, value string) {
	if _, ok := c.File.Lookup(section, key); !ok {
		c.Service.Add(section, key, value)
	}
}

// PrependUnit puts [Unit] key=value before the user's own entries, so that the user
// can reset it with an empty assignment.
func (c *Conv) PrependUnit(key, value string) {
	s := c.Service.EnsureSection("Unit")
	s.Lines = append([]*units.Line{{Key: key, Value: value}}, s.Lines...)
}

// Depend makes the service require and start after another Quadlet unit's service.
func (c *Conv) Depend(quadletName string) {
	svc := c.R.ServiceName(quadletName)
	c.Service.Add("Unit", "Requires", svc)
	c.Service.Add("Unit", "After", svc)
}

// finish adds what every generated service has, and hides the Quadlet sections from
// systemd.
func (c *Conv) finish() {
	c.rewriteUnitDeps()
	if d, ok := c.File.Get("Quadlet", "DefaultDependencies"); !ok || mustBool(d) {
		wait := "network-online.target"
		if c.Opts.User {
			wait = userWaitUnit(c.Opts.Engine)
		}
		c.PrependUnit("After", wait)
		c.PrependUnit("Wants", wait)
	}
	c.Service.RenameSection(c.Section, "X-"+c.Section)
	c.Service.RenameSection("Quadlet", "X-Quadlet")
}

// userWaitUnit is the user unit that waits for the system's network: a user manager
// has no network-online.target. Each engine ships its own; podman's when units drive
// podman.
func userWaitUnit(engine string) string {
	if filepath.Base(engine) == "podman" {
		return "podman-user-wait-network-online.service"
	}
	return "berth-user-wait-network-online.service"
}

func mustBool(v string) bool { b, _ := ParseBool(v); return b }

// unitDepKeys are the [Unit] keys whose values name other units.
var unitDepKeys = map[string]bool{"Wants": true, "Requires": true, "Requisite": true,
	"BindsTo": true, "PartOf": true, "Upholds": true, "Conflicts": true, "Before": true,
	"After": true, "OnFailure": true, "OnSuccess": true, "PropagatesReloadTo": true,
	"ReloadPropagatedFrom": true, "PropagatesStopTo": true, "StopPropagatedFrom": true,
	"JoinsNamespaceOf": true}

// rewriteUnitDeps replaces Quadlet file names in [Unit] dependencies by the names of
// their services: After=db.container becomes After=db.service.
func (c *Conv) rewriteUnitDeps() {
	s := c.Service.Section("Unit")
	if s == nil {
		return
	}
	for _, l := range s.Lines {
		if !unitDepKeys[l.Key] || l.Value == "" {
			continue
		}
		words, err := units.SplitWords(l.Value)
		if err != nil {
			continue
		}
		changed := false
		for i, w := range words {
			if IsQuadlet(w) {
				words[i] = c.R.ServiceName(w)
				changed = true
			}
		}
		if changed {
			l.Value = units.QuoteWords(words)
		}
	}
}
