// Command samldoctor explains why an agent's SAML sign-in to Amazon Connect
// failed, and how to fix it. See the README.
package main

import (
	"os"

	"github.com/samldoctor/samldoctor/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
