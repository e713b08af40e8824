package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"time"
)

var urlPattern = regexp.MustCompile(`https?://[^'"\s)]+`)

// nodeProbe stands in for `node FILE` and `node -e SCRIPT` as the compose
// health checks use them: the script's first URL must answer 200.
func nodeProbe(args []string) int {
	script := ""
	switch {
	case len(args) >= 2 && args[0] == "-e":
		script = args[1]
	case len(args) >= 1:
		body, err := os.ReadFile(args[0])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		script = string(body)
	}
	url := urlPattern.FindString(script)
	if url == "" {
		fmt.Fprintln(os.Stderr, "node (lab stand-in): no URL in script")
		return 1
	}
	status, _, err := get(url)
	if err != nil || status != 200 {
		return 1
	}
	return 0
}

// curlProbe stands in for `curl [-f] [-s] URL`; exit codes follow curl's.
func curlProbe(args []string) int {
	fail, url := false, ""
	for _, a := range args {
		switch {
		case strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "--"):
			fail = fail || strings.Contains(a, "f")
		case a == "--fail":
			fail = true
		case !strings.HasPrefix(a, "-"):
			url = a
		}
	}
	if !strings.Contains(url, "://") {
		url = "http://" + url
	}
	status, body, err := get(url)
	if err != nil {
		fmt.Fprintln(os.Stderr, "curl:", err)
		return 7
	}
	if fail && status >= 400 {
		fmt.Fprintf(os.Stderr, "curl: (22) The requested URL returned error: %d\n", status)
		return 22
	}
	os.Stdout.Write(body)
	return 0
}

func get(url string) (int, []byte, error) {
	client := http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body, nil
}
