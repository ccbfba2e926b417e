package engine

import (
	"bufio"
	"io"
	"os"
	"strings"
)

// baseImages lists the images a Containerfile builds on: the FROM of each stage and
// the COPY --from= sources that name no stage, with ARG values expanded (global ARG
// defaults, overridden by --build-arg). berth copies those it has locally into the
// builder's store, so that a build can start from an image that no registry serves
// (one that another build made, say), as podman's builds can. The parse is only as
// deep as that needs: what it misses, the builder pulls or reports itself.
func baseImages(r io.Reader, buildArgs map[string]string) ([]string, error) {
	args := map[string]string{}
	stages := map[string]bool{}
	var out []string
	seenFrom := false
	add := func(ref string) {
		ref = expandArgs(ref, args, buildArgs)
		if ref == "" || strings.EqualFold(ref, "scratch") || stages[strings.ToLower(ref)] || strings.Contains(ref, "$") {
			return
		}
		for _, o := range out {
			if o == ref {
				return
			}
		}
		out = append(out, ref)
	}
	insts, err := instructions(r)
	if err != nil {
		return nil, err
	}
	for _, words := range insts {
		switch strings.ToUpper(words[0]) {
		case "ARG":
			if seenFrom {
				continue // a stage's ARG does not reach FROM lines
			}
			for _, w := range words[1:] {
				name, def, _ := strings.Cut(w, "=")
				args[name] = strings.Trim(def, `"'`)
			}
		case "FROM":
			seenFrom = true
			rest := skipOptions(words[1:])
			if len(rest) == 0 {
				continue
			}
			add(rest[0])
			if len(rest) == 3 && strings.EqualFold(rest[1], "AS") {
				stages[strings.ToLower(rest[2])] = true
			}
		case "COPY", "ADD":
			for _, w := range words[1:] {
				if from, ok := strings.CutPrefix(w, "--from="); ok && !isNumber(from) {
					add(from)
				}
			}
		}
	}
	return out, nil
}

// baseImagesOfFile is baseImages of a local Containerfile; nil for a URL or "-".
func baseImagesOfFile(path string, buildArgs map[string]string) ([]string, error) {
	if path == "-" || strings.Contains(path, "://") {
		return nil, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return baseImages(f, buildArgs)
}

// instructions splits a Containerfile into instructions (words), joining continued
// lines and dropping comments.
func instructions(r io.Reader) ([][]string, error) {
	var out [][]string
	var cur strings.Builder
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") || (line == "" && cur.Len() == 0) {
			continue
		}
		if body, ok := strings.CutSuffix(line, `\`); ok {
			cur.WriteString(body + " ")
			continue
		}
		cur.WriteString(line)
		if words := strings.Fields(cur.String()); len(words) > 0 {
			out = append(out, words)
		}
		cur.Reset()
	}
	if words := strings.Fields(cur.String()); len(words) > 0 {
		out = append(out, words)
	}
	return out, sc.Err()
}

func skipOptions(words []string) []string {
	for len(words) > 0 && strings.HasPrefix(words[0], "--") {
		words = words[1:]
	}
	return words
}

func isNumber(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// expandArgs replaces $NAME, ${NAME}, ${NAME:-default} and ${NAME:+alt} with --build-arg
// values, else global ARG defaults. An unknown name is left as it is.
func expandArgs(s string, defaults, given map[string]string) string {
	lookup := func(name string) (string, bool) {
		if v, ok := given[name]; ok {
			return v, true
		}
		v, ok := defaults[name]
		return v, ok
	}
	return os.Expand(s, func(key string) string {
		name, mod, word := key, "", ""
		if i := strings.Index(key, ":"); i > 0 && i+1 < len(key) {
			name, mod, word = key[:i], key[i:i+2], key[i+2:]
		}
		v, ok := lookup(name)
		switch mod {
		case ":-":
			if !ok || v == "" {
				return word
			}
		case ":+":
			if ok && v != "" {
				return word
			}
			return ""
		}
		if !ok {
			return "${" + key + "}"
		}
		return v
	})
}
