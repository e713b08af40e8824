// labsvc is the lab's stand-in for the Smart Smoker services and for the few
// tools their compose health checks call (node, curl, mongosh). It is one
// static binary so every lab image stays a few megabytes on the hosts' vfs
// storage driver. It is lab equipment, never shipped: the product is the
// TypeScript orchestrator that deploys these images.
//
// Which tool it acts as is chosen by the name it is started under (busybox
// style), so the upstream compose files' health checks run unchanged.
package main

import (
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	name := filepath.Base(os.Args[0])
	args := os.Args[1:]
	if name == "labsvc" && len(args) > 0 {
		name, args = args[0], args[1:]
	}
	var code int
	switch name {
	case "serve":
		code = serve()
	case "node":
		code = nodeProbe(args)
	case "curl":
		code = curlProbe(args)
	case "mongosh":
		code = mongosh(args)
	case "docker-entrypoint.sh", "mongo-entrypoint":
		code = mongoEntrypoint(args)
	case "watchtower":
		code = watchtower(args)
	case "pgrep":
		code = pgrep(args)
	case "smoker-shell", "idle":
		code = idle(name)
	default:
		fmt.Fprintf(os.Stderr, "labsvc: unknown role %q\n", name)
		code = 2
	}
	os.Exit(code)
}
