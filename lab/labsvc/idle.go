package main

import (
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// idle is the kiosk (electron shell) stand-in: a long-lived process whose
// name is what the compose health check looks for with `pgrep -x`.
func idle(name string) int {
	fmt.Printf("%s %s started\n", name, os.Getenv("STANDIN_VERSION"))
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	<-stop
	return 0
}

// watchtower is a stand-in that only logs: the lab never lets anything but
// smokestack change a container, and the deploy must pause it either way.
func watchtower(args []string) int {
	fmt.Printf("watchtower (lab stand-in) watching: %s\n", strings.Join(args, " "))
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	tick := time.NewTicker(30 * time.Second)
	for {
		select {
		case <-stop:
			return 0
		case <-tick.C:
			fmt.Println("Session done Failed=0 Scanned=0 Updated=0 notify=no")
		}
	}
}
