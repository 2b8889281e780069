// Package cli parses carpd's command line, which is ucarp 1.5.2's: the same
// short options (i:s:v:p:Pa:hb:k:x:nu:d:Dr:zf:Bo:SM, plus -m, which ucarp documents
// but rejects), the same long names (glibc getopt_long rules: --opt=value or
// --opt value, unambiguous prefixes, bundled short flags, "--" ends options,
// operands may appear anywhere), the same defaults, and the same checks in the
// same order, with ucarp's exit statuses.
//
// Where carpd differs from ucarp it is stricter or adds something:
//   - numbers with trailing garbage ("42abc") or outside their range ("-b 256",
//     "-k -1") are refused rather than silently truncated to a byte;
//   - -k 255 is refused: 255 is the bow-out advertisement's skew;
//   - an unknown option or a missing argument is an error (exit 1); ucarp prints
//     its usage and exits 0;
//   - an unknown -f facility is an error; ucarp logs it and carries on;
//   - -a may be repeated and may be IPv6 (ucarp keeps only the last, IPv4 only),
//     and may be ADDR/LEN: the prefix --manage-vips adds (a bare -a is /32, /128);
//   - the password may come from $CARPD_PASSWORD;
//   - "Password too long" and "Interface name too long" are found at parse time,
//     still with ucarp's exit status 2;
//   - -c/--config FILE runs the groups of a config file (package
//     internal/config) instead: then only the options about the process
//     (-B, -D, -f, -z, --pidfile) may be given, and any option describing a
//     group is an error naming it (ErrConfigConflict). -z stays global: it
//     is how the process leaves, for all its groups.
//
// A sketch of the caller (cmd/carpd):
//
//	opts, err := cli.Parse(os.Args[1:], os.Getenv)
//	var cerr *cli.Error
//	if errors.As(err, &cerr) {
//		fmt.Fprintln(os.Stderr, "carpd:", cerr)
//		os.Exit(cerr.ExitCode())
//	}
//	if opts.Help {
//		fmt.Print(cli.Usage())
//		os.Exit(0)
//	}
//	if opts.Interface == "" {
//		opts.Interface, err = cli.DefaultInterface()
//	}
package cli
