package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"syscall"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// defaultPorts are the ports the real Smart Smoker images listen on.
var defaultPorts = map[string]string{
	"backend":        "3001",
	"frontend":       "3000",
	"device-service": "3003",
	"smoker-ui":      "8080",
}

// serve answers like the real service: / always, /api/health (the frontend
// proxies /api/ to the backend, as its nginx does), and on the backend /api/ready, which (like the real one) fails while the database is
// unreachable, and /api/latest/<collection>, the newest document of a
// collection, for the smoke check after a database migration. A "broken"
// build starts and listens but fails every probe.
func serve() int {
	role := os.Getenv("STANDIN_ROLE")
	version := os.Getenv("STANDIN_VERSION")
	broken := os.Getenv("STANDIN_BROKEN") == "1"
	if role == "electron" {
		return kiosk(broken)
	}
	port := os.Getenv("PORT")
	if port == "" {
		port = defaultPorts[role]
	}
	if port == "" {
		fmt.Fprintf(os.Stderr, "serve: no port for role %q\n", role)
		return 2
	}
	db := newReadiness(os.Getenv("DB_URL"))

	reply := func(w http.ResponseWriter, status int, body map[string]any) {
		body["service"], body["version"] = role, version
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(body)
	}
	mux := http.NewServeMux()
	if role == "frontend" {
		// Like the real image's nginx: the API belongs to the backend.
		proxyToBackend(mux)
	} else {
		apiRoutes(mux, reply, db, broken)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if broken {
			http.Error(w, "broken build", 500)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, "<!doctype html><title>Smart Smoker</title><h1>%s %s</h1>\n", role, version)
	})
	log.Printf("%s %s listening on :%s (broken=%v)", role, version, port, broken)
	if err := http.ListenAndServe(":"+port, mux); err != nil {
		log.Print(err)
		return 1
	}
	return 0
}

// apiRoutes are the service's own: /api/health always, and on the backend
// /api/ready and /api/latest/<collection>.
func apiRoutes(mux *http.ServeMux, reply func(http.ResponseWriter, int, map[string]any), db *readiness, broken bool) {
	mux.HandleFunc("/api/health", func(w http.ResponseWriter, r *http.Request) {
		if broken {
			reply(w, 500, map[string]any{"status": "error", "error": "broken build"})
			return
		}
		reply(w, 200, map[string]any{"status": "ok"})
	})
	mux.HandleFunc("/api/ready", func(w http.ResponseWriter, r *http.Request) {
		if broken {
			reply(w, 500, map[string]any{"status": "error", "error": "broken build"})
			return
		}
		if err := db.check(r.Context()); err != nil {
			reply(w, 503, map[string]any{"status": "unavailable", "database": err.Error()})
			return
		}
		reply(w, 200, map[string]any{"status": "ok", "database": db.state()})
	})
	mux.HandleFunc("GET /api/latest/{collection}", func(w http.ResponseWriter, r *http.Request) {
		if broken {
			reply(w, 500, map[string]any{"status": "error", "error": "broken build"})
			return
		}
		collection := r.PathValue("collection")
		doc, err := db.latest(r.Context(), collection)
		if errors.Is(err, mongo.ErrNoDocuments) {
			reply(w, 404, map[string]any{"status": "not found", "collection": collection})
			return
		}
		if server := mongo.ServerError(nil); errors.As(err, &server) && server.HasErrorCode(invalidNamespace) {
			reply(w, 400, map[string]any{"status": "error", "error": err.Error()})
			return
		}
		if err != nil {
			reply(w, 503, map[string]any{"status": "unavailable", "database": err.Error()})
			return
		}
		out, err := bson.MarshalExtJSON(doc, false, false)
		if err != nil {
			reply(w, 500, map[string]any{"status": "error", "error": err.Error()})
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(append(out, '\n'))
	})
}

// readiness reaches MongoDB with the service's own credentials.
type readiness struct {
	client *mongo.Client
}

func newReadiness(url string) *readiness {
	if url == "" {
		return &readiness{}
	}
	client, err := mongo.Connect(options.Client().ApplyURI(url).
		SetServerSelectionTimeout(2 * time.Second).SetConnectTimeout(2 * time.Second))
	if err != nil {
		log.Printf("DB_URL rejected: %v", err)
		return &readiness{}
	}
	return &readiness{client: client}
}

func (r *readiness) state() string {
	if r.client == nil {
		return "not configured"
	}
	return "ok"
}

func (r *readiness) check(ctx context.Context) error {
	if r.client == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	return r.client.Database("smartsmoker").RunCommand(ctx, bson.D{{Key: "ping", Value: 1}}).Err()
}

// MongoDB's code for a collection name it refuses.
const invalidNamespace = 73

// latest is the newest document of smartsmoker.<collection>: the greatest
// _id, as ObjectIds grow with time. mongo.ErrNoDocuments when it is empty.
// MongoDB answers from the _id index at once; the lab's FerretDB reads and
// sorts the whole collection (10 to 15 s for 100k documents on a lab host
// under load), hence the long timeout.
func (r *readiness) latest(ctx context.Context, collection string) (bson.Raw, error) {
	if r.client == nil {
		return nil, errors.New("not configured (no DB_URL)")
	}
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	newest := options.FindOne().SetSort(bson.D{{Key: "_id", Value: -1}})
	return r.client.Database("smartsmoker").Collection(collection).FindOne(ctx, bson.D{}, newest).Raw()
}

// kiosk becomes the electron shell stand-in: a process named smoker-shell,
// which the compose health check finds with `pgrep -x`. A broken build stays
// under another name, as a crashed shell would.
func kiosk(broken bool) int {
	if broken {
		return idle("labsvc")
	}
	err := syscall.Exec("/usr/local/bin/smoker-shell", []string{"smoker-shell"}, os.Environ())
	fmt.Fprintln(os.Stderr, "exec smoker-shell:", err)
	return 1
}
