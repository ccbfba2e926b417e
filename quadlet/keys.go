package quadlet

import (
	"sort"
	"strings"
)

// Kind says how a key's value reads.
type Kind int

const (
	String    Kind = iota // the last value, one pair of surrounding double quotes removed
	Bool                  // the last value as a systemd boolean; the flag is given when true
	BoolValue             // the last value as a boolean, always given as flag=true|false
	Int                   // the last value, a decimal integer
	Lines                 // every value in order; an empty assignment resets the list
	Words                 // every word of every value, split by systemd's rules
	KeyValue              // like Words, each word of the form KEY=VALUE
)

var kindNames = map[Kind]string{String: "string", Bool: "bool", BoolValue: "bool", Int: "integer",
	Lines: "list", Words: "words", KeyValue: "key=value list"}

func (k Kind) String() string { return kindNames[k] }

// Key is one row of a unit type's table.
type Key struct {
	Name string
	Kind Kind
	// Flag is the engine flag. A trailing "=" glues flag and value into one word
	// ("--tls-verify=false"); otherwise they are two words ("--label", "a=b").
	Flag string
	// Apply, when set, translates the key instead of Flag: for keys whose meaning is
	// more than one flag.
	Apply func(c *Conv, k *Key)
	// Converter marks keys that the unit type's converter reads itself (Image, Exec...).
	Converter bool
	Arg       string // the value's placeholder in the documentation, e.g. "CAP"
	Doc       string // one line of documentation
}

// Table is the description of one unit type's own section.
type Table struct {
	Section string // "Container"
	Keys    []Key
	index   map[string]*Key
}

func indexed(t *Table) *Table {
	t.build()
	return t
}

func (t *Table) build() {
	t.index = make(map[string]*Key, len(t.Keys))
	for i := range t.Keys {
		t.index[t.Keys[i].Name] = &t.Keys[i]
	}
}

// Lookup finds a key's row. The index is built when the table is registered, so that
// lookups are read-only and conversions can run concurrently.
func (t *Table) Lookup(name string) *Key {
	return t.index[name]
}

// Suggest returns the known key closest to name, or "" when nothing is close.
func (t *Table) Suggest(name string) string {
	best, bestDist := "", len(name)/3+2
	lname := strings.ToLower(name)
	for _, k := range t.Keys {
		lk := strings.ToLower(k.Name)
		if lk == lname {
			return k.Name
		}
		if d := editDistance(lname, lk); d < bestDist {
			best, bestDist = k.Name, d
		}
	}
	return best
}

// Names returns the key names in alphabetical order.
func (t *Table) Names() []string {
	out := make([]string, len(t.Keys))
	for i, k := range t.Keys {
		out[i] = k.Name
	}
	sort.Strings(out)
	return out
}

// editDistance is the Levenshtein distance.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// commonKeys are the keys every unit type's section accepts.
var commonKeys = []Key{
	{Name: "ContainersConfModule", Kind: Lines, Converter: true, Arg: "/etc/nvd.conf",
		Doc: "Load the containers.conf(5) module, as the global --module flag."},
	{Name: "GlobalArgs", Kind: Words, Converter: true, Arg: "--log-level=debug",
		Doc: "Extra global engine arguments, placed before the subcommand."},
	{Name: "PodmanArgs", Kind: Words, Converter: true, Arg: "--arg",
		Doc: "Extra arguments for the engine's subcommand, placed after the generated ones."},
	{Name: "ServiceName", Kind: String, Converter: true, Arg: "name",
		Doc: "The name of the generated service unit, instead of the default."},
}

// quadletTable is the [Quadlet] section, valid in every unit file.
var quadletTable = indexed(&Table{Section: "Quadlet", Keys: []Key{
	{Name: "DefaultDependencies", Kind: Bool, Converter: true, Arg: "false",
		Doc: "Add the default dependencies on the network being online (true by default)."},
}})

// concatKeys joins groups of rows into one table's rows.
func concatKeys(groups ...[]Key) []Key {
	var out []Key
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}
