// Command journalgen writes one valid incident of N events spread over
// several responders, for the benchmarks and for checking a claim:
//
//	go run ./bench/journalgen --home DIR --events N [--actors alice,bob,carol] [--incidents K]
//
// It prints the incident's id on its last line (the last one's, with
// --incidents); `firebreak --home DIR timeline verify ID` passes on it.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/firebreak-dev/firebreak/internal/benchdata"
)

func main() {
	home := flag.String("home", "", "the firebreak home to write into (`DIR`)")
	events := flag.Int("events", 100_000, "how many events (`N`)")
	actors := flag.String("actors", "alice,bob,carol", "who writes them, comma-separated")
	playbook := flag.String("playbook", "INC-1", "the playbook `ID`")
	incidents := flag.Int("incidents", 1, "how many incidents of N events each (`K`)")
	flag.Parse()
	if *home == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: go run ./bench/journalgen --home DIR --events N [--actors a,b,c] [--playbook ID]")
		os.Exit(2)
	}
	for i := range *incidents {
		title := "bench"
		if *incidents > 1 {
			title = fmt.Sprintf("bench %d", i)
		}
		inc, err := benchdata.Incident(context.Background(), benchdata.Options{Home: *home, Events: *events,
			Actors: strings.Split(*actors, ","), Playbook: *playbook, Title: title})
		if err != nil {
			fmt.Fprintln(os.Stderr, "journalgen:", err)
			os.Exit(1)
		}
		if i == *incidents-1 {
			fmt.Printf("wrote %d incident(s) of %d events by %s into %s\n", *incidents, *events, *actors, *home)
			fmt.Println(inc.Header.ID)
		}
	}
}
