package inspect_test

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/netip"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/internal/inspect"
)

// jsonKeys is the JSON schema, in output order.
var jsonKeys = []string{"time", "src", "dst", "ttl", "version", "type", "vhid", "advbase", "advskew", "demote", "counter", "cksum_ok", "auth"}

// keyOrder returns the keys of one JSON object in the order they appear.
func keyOrder(t *testing.T, line []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(line))
	tok, err := dec.Token()
	require.NoError(t, err)
	require.Equal(t, json.Delim('{'), tok)
	var keys []string
	for dec.More() {
		k, err := dec.Token()
		require.NoError(t, err)
		keys = append(keys, k.(string))
		var v any
		require.NoError(t, dec.Decode(&v))
	}
	return keys
}

func TestJSONSchema(t *testing.T) {
	counterRE := regexp.MustCompile(`^[0-9a-f]{16}$`)
	opts := []inspect.Options{
		{JSON: true},
		{JSON: true, Password: []byte("secret"), VIPs: []netip.Addr{netip.MustParseAddr("198.51.100.100")}},
	}
	for _, o := range opts {
		// validate has bad checksums and digests and a truncated advert.
		for _, name := range []string{"exp1", "validate", "validate2"} {
			var out bytes.Buffer
			o.Stderr = &bytes.Buffer{}
			_, err := inspect.ReadPcap(bytes.NewReader(readFile(t, name+".pcap")), o, &out)
			require.NoError(t, err)
			lines := 0
			for line := range bytes.Lines(out.Bytes()) {
				lines++
				var m map[string]any
				require.NoError(t, json.Unmarshal(line, &m))
				require.ElementsMatch(t, jsonKeys, slices.Collect(maps.Keys(m)), "%s", line)
				require.Equal(t, jsonKeys, keyOrder(t, line))
				for _, k := range []string{"ttl", "version", "type", "vhid", "advbase", "advskew", "demote"} {
					require.IsType(t, float64(0), m[k], k)
				}
				for _, k := range []string{"time", "src", "dst", "counter", "auth"} {
					require.IsType(t, "", m[k], k)
				}
				require.IsType(t, true, m["cksum_ok"])
				require.Regexp(t, counterRE, m["counter"])
				require.Contains(t, []string{"ok", "bad", "unchecked"}, m["auth"])
				ts, err := time.Parse(time.RFC3339Nano, m["time"].(string))
				require.NoError(t, err)
				require.Equal(t, time.UTC, ts.Location())
				require.Regexp(t, `\.\d{6}Z$`, m["time"])
				_, err = netip.ParseAddr(m["src"].(string))
				require.NoError(t, err)
			}
			require.NotZero(t, lines)
		}
	}
}
