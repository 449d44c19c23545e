// Command busbar is the Busbar integration runtime. See `busbar --help`.
package main

import (
	"os"

	"github.com/busbar/busbar/internal/cli"
	_ "github.com/busbar/busbar/internal/standard"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
