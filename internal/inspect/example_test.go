package inspect_test

import (
	"fmt"
	"os"

	"github.com/gocarp/gocarp/internal/inspect"
)

// Reading ucarp's counter_wrap capture: an injected advert with the
// counter at its maximum, then ucarp preempting and wrapping it to 0.
func ExampleReadPcap() {
	opts, file, _, err := inspect.ParseArgs([]string{"-p", "secret", "-a", "198.51.100.100", "testdata/counter_wrap.pcap"}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	f, err := os.Open(file)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	sum, err := inspect.ReadPcap(f, opts, os.Stdout)
	fmt.Println(sum, err)
	// Output:
	// 2026-11-22T01:32:19.700501Z 198.51.100.40 > 224.0.0.18 ttl 255 CARPv2 advert vhid 42 advbase 1 advskew 200 demote 0 counter ffffffffffffffff cksum ok auth ok
	// 2026-11-22T01:32:20.547521Z 198.51.100.1 > 224.0.0.18 ttl 255 CARPv2 advert vhid 42 advbase 1 advskew 0 demote 0 counter 0000000000000000 cksum ok auth ok
	// 2026-11-22T01:32:21.547426Z 198.51.100.1 > 224.0.0.18 ttl 255 CARPv2 advert vhid 42 advbase 1 advskew 0 demote 0 counter 0000000000000001 cksum ok auth ok
	// 2026-11-22T01:32:22.547432Z 198.51.100.1 > 224.0.0.18 ttl 255 CARPv2 advert vhid 42 advbase 1 advskew 0 demote 0 counter 0000000000000002 cksum ok auth ok
	// 6 packets, 4 CARP (0 malformed), 0 bad checksum, auth 4 ok / 0 bad <nil>
}
