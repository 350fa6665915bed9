// Command buildtime reads the action graph `go build -debug-actiongraph`
// writes and prints the CPU time (user + system of the compiler and
// linker) each package took, most first: what a cold build of samldoctor
// spends its time on. bench/coldbuild.sh runs the build.
//
//	go run ./bench/buildtime [-top 15] actiongraph.json
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"
)

// action is the part of cmd/go's action JSON read here.
type action struct {
	Mode    string
	Package string
	CmdReal time.Duration
	CmdUser time.Duration
	CmdSys  time.Duration
}

func main() {
	top := flag.Int("top", 15, "packages to list")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: buildtime [-top N] actiongraph.json")
		os.Exit(2)
	}
	b, err := os.ReadFile(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var actions []action
	if err := json.Unmarshal(b, &actions); err != nil {
		fmt.Fprintf(os.Stderr, "%s: not an action graph: %v\n", flag.Arg(0), err)
		os.Exit(1)
	}
	type pkg struct {
		name      string
		cpu, real time.Duration
	}
	by := map[string]*pkg{}
	groups := map[string]time.Duration{}
	var total time.Duration
	for _, a := range actions {
		cpu := a.CmdUser + a.CmdSys
		if cpu == 0 {
			continue
		}
		name := a.Package
		if a.Mode == "link" {
			name += " (link)"
		}
		p := by[name]
		if p == nil {
			p = &pkg{name: name}
			by[name] = p
		}
		p.cpu += cpu
		p.real += a.CmdReal
		total += cpu
		groups[group(a.Package)] += cpu
	}
	var list []*pkg
	for _, p := range by {
		list = append(list, p)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].cpu > list[j].cpu })
	fmt.Printf("%d packages, %.1f s of CPU in the compiler and linker\n\n", len(list), total.Seconds())
	fmt.Println("   CPU s  wall s  package")
	for i, p := range list {
		if i == *top {
			break
		}
		fmt.Printf("  %6.1f  %6.1f  %s\n", p.cpu.Seconds(), p.real.Seconds(), p.name)
	}
	var names []string
	for g := range groups {
		names = append(names, g)
	}
	sort.Slice(names, func(i, j int) bool { return groups[names[i]] > groups[names[j]] })
	fmt.Println("\n   CPU s  share  group")
	for _, g := range names {
		fmt.Printf("  %6.1f  %4.0f%%  %s\n", groups[g].Seconds(), 100*groups[g].Seconds()/total.Seconds(), g)
	}
}

// group is the module-level group a package belongs to: each AWS SDK
// service client on its own, the standard library as one.
func group(p string) string {
	switch {
	case strings.HasPrefix(p, "github.com/aws/aws-sdk-go-v2/service/"):
		parts := strings.Split(p, "/")
		return strings.Join(parts[:5], "/")
	case strings.HasPrefix(p, "github.com/aws/"):
		return "github.com/aws/aws-sdk-go-v2 and smithy-go (core)"
	case strings.HasPrefix(p, "github.com/samldoctor/"):
		return "samldoctor"
	case !strings.Contains(strings.SplitN(p, "/", 2)[0], "."):
		return "standard library"
	}
	parts := strings.Split(p, "/")
	if len(parts) > 3 {
		parts = parts[:3]
	}
	return strings.Join(parts, "/")
}
