package pack

import (
	"encoding/json"
	"fmt"
	"path"
)

// The rules across the packs of one run (N6, N7, N8) and across commits
// (B1, B2). Their findings name the pack's pack.json by its workspace path.

// Member is one selected pack of a run.
type Member struct {
	Dir   string // workspace-relative, slash-separated
	Pack  *Pack  // nil when pack.json could not be parsed
	Valid bool   // false when the pack is already invalid (it publishes nothing)
}

// CheckSet applies the rules that need every selected pack and returns
// the findings of each member, in the order of members:
//   - N6: a valid pack that publishes the same name and version as an
//     earlier valid one (both would push the same tag);
//   - N7: a folder named neither <name> nor <name>-<version>;
//   - N8: a pack whose displayName differs from an earlier pack's of the
//     same name.
func CheckSet(members []Member, ignore Ignore) [][]Finding {
	out := make([][]Finding, len(members))
	published := map[string]Member{} // name:version -> first valid member
	named := map[string]Member{}     // name -> first member
	for i, m := range members {
		p := m.Pack
		if p == nil || p.Name == "" {
			continue
		}
		file := path.Join(m.Dir, "pack.json")
		add := func(rule, msg, fix string) { out[i] = append(out[i], NewFinding(rule, file, msg, fix)) }
		if folder := path.Base(m.Dir); p.Version != "" && m.Dir != "." && folder != p.Name && folder != p.Name+"-"+p.Version {
			add("N7", fmt.Sprintf("the folder %q is named neither %q nor %q", folder, p.Name, p.Name+"-"+p.Version),
				"name the folder after the pack (pack-central convention); Palette itself ignores folder names")
		}
		if key := p.Name + ":" + p.Version; m.Valid {
			if prev, dup := published[key]; dup {
				add("N6", fmt.Sprintf("%s and %s both publish %s", prev.Dir, m.Dir, key), "give each pack its own name, or bump version in one of them")
			} else {
				published[key] = m
			}
		}
		if prev, ok := named[p.Name]; !ok {
			named[p.Name] = m
		} else if prev.Pack.DisplayName != p.DisplayName {
			add("N8", fmt.Sprintf("displayName %q differs from %q in %s for the same name %q", p.DisplayName, prev.Pack.DisplayName, prev.Dir, p.Name),
				"keep name and displayName the same across versions, or Palette shows them as different packs")
		}
		out[i] = ignore.Keep(out[i])
	}
	return out
}

// CheckBump applies check-version-increment to a pack that changed since
// the commit base, where its pack.json was prev (nil when the pack is new
// there): its version must be higher (B1), and when the two versions cannot
// be ordered that is said (B2). dir is the pack's workspace-relative folder.
func CheckBump(dir string, cur *Pack, prev []byte, base string, ignore Ignore) []Finding {
	var old struct {
		Version string `json:"version"`
	}
	if cur == nil || prev == nil || json.Unmarshal(prev, &old) != nil || old.Version == "" {
		return nil // a new pack (or one moved here) passes
	}
	file := path.Join(dir, "pack.json")
	var out []Finding
	order, ok := CompareVersions(cur.Version, old.Version)
	switch {
	case cur.Version == old.Version:
		out = append(out, NewFinding("B1", file, fmt.Sprintf("the pack changed since %.12s but its version is still %s", base, cur.Version),
			"raise version in pack.json (or set check-version-increment: false)"))
	case ok && order < 0:
		out = append(out, NewFinding("B1", file, fmt.Sprintf("version went down from %s to %s", old.Version, cur.Version), "use a version higher than "+old.Version))
	case ok && order == 0:
		out = append(out, NewFinding("B1", file, fmt.Sprintf("version %s is the same as %s, written differently", cur.Version, old.Version), "use a version higher than "+old.Version))
	case !ok:
		out = append(out, NewFinding("B2", file, fmt.Sprintf("version changed from %s to %s, which cannot be ordered, so the increment is not checked", old.Version, cur.Version),
			"use versions such as 1.2.3 (SemVer; a leading v and leading zeros are understood)"))
	}
	return ignore.Keep(out)
}
