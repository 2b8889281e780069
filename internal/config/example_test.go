package config_test

import (
	"fmt"

	"github.com/gocarp/gocarp/internal/config"
)

func ExampleParse() {
	c, err := config.Parse("carpd.toml", []byte(`
[defaults]
password = "secret"

[[group]]
name = "web"
interface = "eth0"
vhid = 42
vips = ["198.51.100.100/24", "2001:db8::100/64"]
advskew = 100
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	g := c.Groups[0]
	fmt.Println(g.Name, g.Interface, g.VHID, g.VIPs, g.AdvBase, g.AdvSkew, g.ManageVIPs)

	_, err = config.Parse("carpd.toml", []byte(`
[[group]]
name = "web"
interface = "eth0"
vhid = 42
vips = ["198.51.100.100/24"]
password = "secret"
advskew = 300
`))
	fmt.Println(err)
	// Output:
	// web eth0 42 [198.51.100.100/24 2001:db8::100/64] 1 100 true
	// carpd.toml:8: group "web": advskew: must be 0..255, got 300
}
