package main

import (
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
)

// frontendUpstream is where the real frontend image's nginx sends /api/ and
// /socket.io/ (apps/frontend/nginx.conf: proxy_pass http://backend:3001):
// the compose service name of the backend. FRONTEND_API_UPSTREAM overrides.
const frontendUpstream = "http://backend:3001"

// proxyToBackend makes the frontend stand-in answer as the real one does:
// the browser reaches the API through the frontend's origin, so a backend
// that is down shows there as nginx's 502, not as the frontend's own answer.
func proxyToBackend(mux *http.ServeMux) {
	upstream := os.Getenv("FRONTEND_API_UPSTREAM")
	if upstream == "" {
		upstream = frontendUpstream
	}
	target, err := url.Parse(upstream)
	if err != nil {
		log.Fatalf("FRONTEND_API_UPSTREAM %q: %v", upstream, err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
		log.Printf("proxy %s: %v", r.URL.Path, err)
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte("<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>\n"))
	}
	mux.Handle("/api/", proxy)
	mux.Handle("/socket.io/", proxy)
}
