package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// evalPattern is the one shape of mongosh --eval the lab understands:
// db[.getSiblingDB('name')].(adminCommand|runCommand)(ARG), where ARG is a
// quoted command name or a JSON document (valid JS for the real mongosh too).
var evalPattern = regexp.MustCompile(`^\s*db(?:\.getSiblingDB\(\s*['"]([\w-]+)['"]\s*\))?\.(adminCommand|runCommand)\((.*)\)\s*;?\s*$`)

// mongosh is a stand-in for the real shell, enough for health checks, init
// scripts and tests: it runs one database command over the real wire
// protocol and prints the reply as JSON. Exit 1 when the command fails.
func mongosh(args []string) int {
	uri, dbName, user, pass, authDB, eval := "", "", "", "", "", ""
	host, port := "127.0.0.1", "27017"
	for i := 0; i < len(args); i++ {
		next := func() string {
			i++
			if i < len(args) {
				return args[i]
			}
			return ""
		}
		switch a := args[i]; a {
		case "--eval":
			eval = next()
		case "-u", "--username":
			user = next()
		case "-p", "--password":
			pass = next()
		case "--authenticationDatabase":
			authDB = next()
		case "--host":
			host = next()
		case "--port":
			port = next()
		case "--quiet", "--norc", "--json":
		default:
			if strings.HasPrefix(a, "mongodb://") {
				uri = a
			} else if !strings.HasPrefix(a, "-") {
				dbName = a
			}
		}
	}
	if uri == "" {
		uri = "mongodb://" + host + ":" + port + "/"
	}
	if dbName == "" {
		dbName = dbFromURI(uri)
	}
	m := evalPattern.FindStringSubmatch(eval)
	if m == nil {
		fmt.Fprintf(os.Stderr, "mongosh (lab stand-in): unsupported --eval %q\n", eval)
		return 2
	}
	if m[1] != "" {
		dbName = m[1]
	}
	if m[2] == "adminCommand" {
		dbName = "admin"
	}
	cmd, err := parseCommand(m[3])
	if err != nil {
		fmt.Fprintln(os.Stderr, "mongosh (lab stand-in):", err)
		return 2
	}

	cmd = withoutRoles(cmd)

	opts := options.Client().ApplyURI(uri).SetServerSelectionTimeout(5 * time.Second)
	if user != "" {
		if authDB == "" {
			authDB = "admin"
		}
		opts.SetAuth(options.Credential{Username: user, Password: pass, AuthSource: authDB})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	client, err := mongo.Connect(opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "MongoServerSelectionError:", err)
		return 1
	}
	defer client.Disconnect(ctx)
	var reply bson.M
	if err := client.Database(dbName).RunCommand(ctx, cmd).Decode(&reply); err != nil {
		fmt.Fprintln(os.Stderr, "MongoServerError:", err)
		return 1
	}
	out, _ := bson.MarshalExtJSON(reply, false, false)
	fmt.Println(string(out))
	return 0
}

func parseCommand(arg string) (bson.D, error) {
	arg = strings.TrimSpace(arg)
	if len(arg) >= 2 && (arg[0] == '\'' || arg[0] == '"') && arg[len(arg)-1] == arg[0] {
		return bson.D{{Key: arg[1 : len(arg)-1], Value: 1}}, nil
	}
	var doc bson.D
	if err := bson.UnmarshalExtJSON([]byte(arg), false, &doc); err != nil {
		return nil, fmt.Errorf("command must be a quoted name or a JSON document: %w", err)
	}
	return doc, nil
}

func dbFromURI(uri string) string {
	u, err := url.Parse(uri)
	if err != nil || strings.Trim(u.Path, "/") == "" {
		return "test"
	}
	return strings.Trim(u.Path, "/")
}

// withoutRoles adapts createUser to the lab's FerretDB 1.x, which refuses
// any role (it does not implement authorization). The real mongosh passes
// roles through; the lab says loudly that it dropped them.
func withoutRoles(cmd bson.D) bson.D {
	if len(cmd) == 0 || (cmd[0].Key != "createUser" && cmd[0].Key != "updateUser") {
		return cmd
	}
	for i, e := range cmd {
		if e.Key == "roles" {
			fmt.Fprintln(os.Stderr, "mongosh (lab stand-in): FerretDB has no authorization; roles not applied:", e.Value)
			cmd[i].Value = bson.A{}
		}
	}
	return cmd
}
