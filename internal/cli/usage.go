package cli

import "strings"

// usageText follows ucarp's --help line for line; carpd's additions and the
// places where carpd differs are marked [carpd].
var usageText = []string{
	"carpd - a CARP daemon; accepts ucarp's command line",
	"",
	"--interface=<if> (-i <if>): bind interface <if> (default: the first up, non-loopback interface with an IPv4 address)",
	"--srcip=<ip> (-s <ip>): source (real) IPv4 address of that host (optional when every --addr is IPv6) [carpd]",
	"--mcast=<ip> (-m <ip>): multicast group IP address (default 224.0.0.18); --mcastip also accepted",
	"--vhid=<id> (-v <id>): virtual IP identifier (1-255)",
	"--pass=<pass> (-p <pass>): password (1-19 bytes; visible in ps, prefer --passfile or $" + PasswordEnv + ")",
	"--passfile=<file> (-o <file>): read password from the first line of <file>",
	"--preempt (-P): becomes a master as soon as possible",
	"--neutral (-n): don't run downscript at start if backup",
	"--addr=<ip> (-a <ip>): virtual shared IP address; may be repeated, may be IPv6, may be <ip>/<len> (the prefix --manage-vips adds; default /32, /128) [carpd]",
	"--help (-h): summary of command-line options",
	"--advbase=<seconds> (-b <seconds>): advertisement frequency (0-255, default 1)",
	"--advskew=<skew> (-k <skew>): advertisement skew (0-255)",
	"--upscript=<file> (-u <file>): run <file> to become a master",
	"--downscript=<file> (-d <file>): run <file> to become a backup",
	"--deadratio=<ratio> (-r <ratio>): ratio to consider a host as dead (default 3)",
	"--debug (-D): enable debug output",
	"--shutdown (-z): call shutdown script at exit",
	"--daemonize (-B): run in background",
	"--ignoreifstate (-S): ignore interface state (down, no carrier)",
	"--nomcast (-M): use broadcast (instead of multicast) advertisements",
	"--facility=<facility> (-f): set syslog facility (default=daemon, none = no syslog)",
	"--xparam=<value> (-x): extra parameter to send to up/down scripts",
	"",
	"carpd additions:",
	"--config=<file> (-c <file>): run every group of the TOML file <file> instead of one from the command line; only -B, -D, -f, -z, --pidfile and --control may be given with it [carpd]",
	"--control=<path>: serve carpd status on the unix socket <path> (default with -c: /run/carpd.sock; none otherwise) [carpd]",
	"--manage-vips: add the VIPs to the interface (netlink) as MASTER and remove them otherwise; re-add one that someone removes [carpd]",
	"--pidfile=<file>: write the process id to <file> [carpd]",
	"--tiebreak=ucarp|bsd: equal adverts: ucarp's address comparison (default) or BSD's step-down [carpd]",
	"--source-mac=real|ucarp|bsd|<mac>: advert source MAC: the interface's (default), ucarp's 00:00:5e:00:00:<vhid>, BSD's 00:00:5e:00:01:<vhid>, or given [carpd]",
	"--script-timeout=<duration>: kill an up/down script still running after this (default 10s, 0 = never) [carpd]",
	"--version: print the version and exit [carpd]",
	"$" + PasswordEnv + ": the password, when neither --pass nor --passfile is given [carpd]",
	"",
	"Scripts run as <script> <interface> <vip> [<xparam>], without a shell, one at a time, in order.",
	"",
	"Subcommands [carpd]:",
	"  carpd status [--json] [--control <path>]       every group of the running carpd",
	"  carpd handover [--control <path>] [<group>...] the MASTER groups bow out: a backup takes over at once",
	"  carpd demote <group> <n> --reason <text>       the operator's demotion of a group (--clear removes it)",
	"  carpd inspect ...                               decode and verify CARP in a capture or live (carpd inspect -h)",
	"  carpd lab [-v]                                  a CARP LAN in network namespaces, as root",
	"",
	"Sample usage:",
	"",
	"Manage the 10.1.1.252 shared virtual address on interface eth0, with",
	"1 as a virtual address identifier, mypassword as a password, and",
	"10.1.1.1 as a real permanent address for this host.",
	"Call /etc/vip-up.sh when the host becomes a master, and",
	"/etc/vip-down.sh when the virtual IP address has to be disabled.",
	"",
	"carpd --interface=eth0 --srcip=10.1.1.1 --vhid=1 --pass=mypassword \\",
	"      --addr=10.1.1.252 \\",
	"      --upscript=/etc/vip-up.sh --downscript=/etc/vip-down.sh",
}

// Usage returns the help text, modelled on ucarp's --help, listing every option.
func Usage() string {
	return strings.Join(usageText, "\n") + "\n"
}
