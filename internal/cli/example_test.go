package cli_test

import (
	"errors"
	"fmt"

	"github.com/gocarp/gocarp/internal/cli"
)

func ExampleParse() {
	args := []string{"-i", "eth0", "-s", "10.1.1.1", "-v", "0x2a", "-a", "10.1.1.252", "-PzS", "--advs=100"}
	env := func(k string) string { // os.Getenv in carpd
		if k == cli.PasswordEnv {
			return "mypassword"
		}
		return ""
	}
	o, err := cli.Parse(args, env)
	if err != nil {
		return
	}
	fmt.Println(o.Interface, o.SrcIP, o.VHID, o.VIPs, o.Preempt, o.Shutdown, o.IgnoreIfState, o.AdvSkew, o.PasswordSource)

	_, err = cli.Parse([]string{"-s", "10.1.1.1", "-v", "1", "-p", "pw", "-a", "10.1.1.252", "-b", "255", "-k", "255"}, nil)
	var cerr *cli.Error
	if errors.As(err, &cerr) {
		fmt.Println(cerr.Flag, cerr.ExitCode(), errors.Is(err, cli.ErrOutOfRange))
	}
	// Output:
	// eth0 10.1.1.1 42 [10.1.1.252] true true true 100 env
	// -k 1 true
}
