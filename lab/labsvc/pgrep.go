package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// pgrep stands in for `pgrep -x NAME` (Debian's busybox-static has no
// pgrep): exit 0 and print the PIDs whose process name is exactly NAME.
func pgrep(args []string) int {
	name := ""
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			name = a
		}
	}
	if name == "" {
		fmt.Fprintln(os.Stderr, "usage: pgrep -x NAME")
		return 2
	}
	comms, _ := filepath.Glob("/proc/[0-9]*/comm")
	found := 1
	for _, path := range comms {
		comm, err := os.ReadFile(path)
		if err == nil && strings.TrimSpace(string(comm)) == name {
			fmt.Println(filepath.Base(filepath.Dir(path)))
			found = 0
		}
	}
	return found
}
