package main

import (
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

const dataDir = "/data/db"
const initMarker = dataDir + "/.lab-initialized"

// mongoEntrypoint plays the mongo:7.0 image's docker-entrypoint.sh on top of
// FerretDB (SQLite under /data/db): the root user from
// MONGO_INITDB_ROOT_USERNAME/PASSWORD and the /docker-entrypoint-initdb.d
// shell scripts run once, on an empty data directory, as in the real image.
func mongoEntrypoint(args []string) int {
	rootUser := os.Getenv("MONGO_INITDB_ROOT_USERNAME")
	rootPass := os.Getenv("MONGO_INITDB_ROOT_PASSWORD")
	_, err := os.Stat(initMarker)
	firstStart := os.IsNotExist(err)

	flags := []string{
		"--handler=sqlite", "--sqlite-url=file:" + dataDir + "/",
		"--listen-addr=0.0.0.0:27017", "--telemetry=disable",
		"--log-level=error", "--test-enable-new-auth",
	}
	env := os.Environ()
	if rootUser != "" && rootPass != "" {
		// FerretDB creates this user only while the admin database does not exist.
		flags = append(flags, "--setup-database=admin", "--setup-username="+rootUser)
		// The password by environment, as the real image keeps it: an
		// argument would show in `ps` on the host for as long as it runs.
		env = append(env, "FERRETDB_SETUP_PASSWORD="+rootPass)
	}
	ferret := exec.Command("/usr/local/bin/ferretdb", flags...)
	ferret.Env = env
	ferret.Stdout, ferret.Stderr = os.Stdout, os.Stderr
	if err := ferret.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "mongo (lab stand-in): ferretdb:", err)
		return 1
	}
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		for s := range signals {
			_ = ferret.Process.Signal(s)
		}
	}()

	if firstStart {
		if err := runInitScripts(rootUser, rootPass); err != nil {
			fmt.Fprintln(os.Stderr, "mongo (lab stand-in): init failed:", err)
			_ = ferret.Process.Signal(syscall.SIGTERM)
			_ = ferret.Wait()
			return 1
		}
	}
	if err := ferret.Wait(); err != nil {
		fmt.Fprintln(os.Stderr, "mongo (lab stand-in): ferretdb exited:", err)
		return 1
	}
	return 0
}

func runInitScripts(rootUser, rootPass string) error {
	probe := []string{"--quiet", "--eval", "db.adminCommand('ping')"}
	if rootUser != "" {
		probe = append(probe, "-u", rootUser, "-p", rootPass, "--authenticationDatabase", "admin")
	}
	deadline := time.Now().Add(60 * time.Second)
	for exec.Command("/usr/local/bin/mongosh", probe...).Run() != nil {
		if time.Now().After(deadline) {
			return fmt.Errorf("database did not accept the root user within 60s")
		}
		time.Sleep(500 * time.Millisecond)
	}
	scripts, _ := filepath.Glob("/docker-entrypoint-initdb.d/*")
	sort.Strings(scripts)
	for _, script := range scripts {
		if !strings.HasSuffix(script, ".sh") {
			fmt.Printf("mongo (lab stand-in): ignoring %s (only .sh init scripts run in the lab)\n", script)
			continue
		}
		fmt.Printf("mongo (lab stand-in): running %s\n", script)
		cmd := exec.Command("/bin/sh", script)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s: %w", script, err)
		}
	}
	return os.WriteFile(initMarker, []byte(time.Now().UTC().Format(time.RFC3339)+"\n"), 0o600)
}
