//go:build linux

package netns

import (
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// DropCARPMulticast makes the LAN's switch drop every CARP multicast
// (224.0.0.18 and ff02::12), as networks that filter multicast do, with
// nftables rules on the bridge (a rule in a host's own input would come
// too late: packet sockets see frames before netfilter). It returns what
// the rules have dropped so far, IPv4 and IPv6. It skips t without the
// nft command.
func (l *LAN) DropCARPMulticast(t testing.TB) (dropped func() (v4, v6 uint64)) {
	t.Helper()
	if _, err := exec.LookPath("nft"); err != nil {
		t.Skip("needs the nft command: apt-get install nftables")
	}
	nft := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("ip", append([]string{"netns", "exec", l.Bridge, "nft"}, args...)...).CombinedOutput()
		require.NoError(t, err, "nft %s: %s", strings.Join(args, " "), out)
		return string(out)
	}
	nft("add table bridge carp")
	nft("add chain bridge carp forward { type filter hook forward priority 0 ; }")
	nft("add rule bridge carp forward ip daddr 224.0.0.18 counter drop")
	nft("add rule bridge carp forward ip6 daddr ff02::12 counter drop")
	counter := regexp.MustCompile(`counter packets (\d+)`)
	return func() (uint64, uint64) {
		t.Helper()
		m := counter.FindAllStringSubmatch(nft("list chain bridge carp forward"), -1)
		require.Len(t, m, 2, "the two drop rules")
		v4, err := strconv.ParseUint(m[0][1], 10, 64)
		require.NoError(t, err)
		v6, err := strconv.ParseUint(m[1][1], 10, 64)
		require.NoError(t, err)
		return v4, v6
	}
}
