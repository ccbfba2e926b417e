package quadlet

import "testing"

// TestTablesComplete pins each unit type's number of keys, so that sharing rows between
// tables cannot add or drop one unnoticed, and checks that every row is documented and
// translated. podman-container.unit(5) lists 88 keys; .container also has ServiceName,
// AppArmor, VolatileTmp and the four deprecated Remap keys.
func TestTablesComplete(t *testing.T) {
	want := map[string]int{".container": 95, ".pod": 29, ".volume": 16, ".network": 18,
		".image": 18, ".build": 28, ".kube": 19, ".artifact": 13}
	if len(unitTypes) != len(want) {
		t.Errorf("%d unit types registered, want %d", len(unitTypes), len(want))
	}
	for ext, n := range want {
		keys := unitTypes[ext].table.Keys
		if len(keys) != n {
			t.Errorf("%s has %d keys, want %d", ext, len(keys), n)
		}
		seen := map[string]bool{}
		for _, k := range keys {
			if seen[k.Name] {
				t.Errorf("%s key %s is declared twice", ext, k.Name)
			}
			seen[k.Name] = true
			if k.Doc == "" || k.Arg == "" || (k.Flag == "" && k.Apply == nil && !k.Converter) {
				t.Errorf("%s key %s is incomplete: %+v", ext, k.Name, k)
			}
		}
	}
}

// TestSharedKeysShared checks that each row of sharedKeys is in at least two tables;
// a row that only one table includes belongs in that table.
func TestSharedKeysShared(t *testing.T) {
	for _, k := range sharedKeys {
		var in []string
		for ext, ut := range unitTypes {
			if ut.table.Lookup(k.Name) != nil {
				in = append(in, ext)
			}
		}
		if len(in) < 2 {
			t.Errorf("shared key %s is only in %v", k.Name, in)
		}
	}
}
