// Package config turns carpd's config file, or a parsed ucarp command line,
// into one validated Config: the groups the daemon runs.
//
// The file is TOML: an optional [defaults] table, whose keys apply to every
// group that does not set them, and one [[group]] per vhid and interface.
// testdata/reference.toml lists every key with its default and meaning;
// testdata/minimal.toml is the least a file needs:
//
//	[[group]]
//	interface = "eth0"
//	vhid = 42
//	vips = ["198.51.100.100/24"]
//	password_file = "/etc/carpd/carp.pass"
//
// Decoding is strict: an unknown key, a wrong type, a key or table given
// twice, a group without interface, vhid, vips or password, two groups
// with the same (interface, vhid) or name, a VIP in two groups of one
// interface are each an *Error, and a bad file is refused whole. The error
// names the file, the line, the group and the key:
//
//	carpd.toml:14: group "web": advskew: must be 0..255, got 300
//
// The protocol's rules are carp.Config.Validate's, the one place they
// live: each group is built into a carp.Config (Group.Carp) and validated,
// and the carp.ConfigError's Field is mapped back to its key. Defaults are
// carp's (carp.DefaultAdvBase, carp.DefaultDeadRatio, wire.IPv4Group) and
// cli's (cli.DefaultScriptTimeout, cli.DefaultSourceMAC). A password_file
// is read by cli.ReadPasswordFile, as -o is.
//
// A sketch of the caller (cmd/carpd):
//
//	var c *config.Config
//	if o.ConfigFile != "" {
//		c, err = config.Load(o.ConfigFile)
//	} else {
//		c, err = config.FromOptions(o)
//	}
//	if err != nil {
//		fmt.Fprintln(os.Stderr, "carpd:", err) // carpd.toml:14: group "web": ...
//		os.Exit(1)
//	}
//	for i := range c.Groups {
//		g := &c.Groups[i]
//		cc := g.Carp()
//		cc.Transport, cc.Source = link.Port(g.VHID), source // the daemon's
//		grp, err := carp.New(cc)
//		if err != nil {
//			return g.Wrap(err) // names the key and line, e.g. of source
//		}
//		...
//	}
package config
