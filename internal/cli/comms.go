package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"go.yaml.in/yaml/v3"

	"github.com/firebreak-dev/firebreak/internal/actions"
	"github.com/firebreak-dev/firebreak/internal/comms"
	"github.com/firebreak-dev/firebreak/internal/fsutil"
	"github.com/firebreak-dev/firebreak/internal/textutil"
)

func (a *invocation) contactsPath(flagValue string) string {
	return a.session(sessionOpts{contacts: flagValue}).ContactsPath()
}

var cmdCommsList = &command{
	name: "comms list", args: "[--templates DIR] [--json]",
	summary: "List the communication templates and the fields each needs.",
	maxArgs: 0,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		var dirs multiFlag
		fs.Var(&dirs, "templates", "extra templates `DIR` (repeatable)")
		jsonFlag(a, fs)
		return func([]string) error {
			lib, err := comms.Load(dirs)
			if err != nil {
				return err
			}
			if a.json {
				type row struct {
					Name   string   `json:"name"`
					Title  string   `json:"title"`
					Fields []string `json:"fields"`
				}
				rows := []row{}
				for _, t := range lib.All() {
					rows = append(rows, row{t.Name, t.Title, t.Fields})
				}
				return a.printJSON(rows)
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "TEMPLATE\tTITLE\tFIELDS")
			for _, t := range lib.All() {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", t.Name, textutil.Line(t.Title), strings.Join(t.Fields, ", "))
			}
			return tw.Flush()
		}
	},
}

var cmdCommsRender = &command{
	name: "comms render", args: "ID TEMPLATE [-o FILE|-] [--force] [--set field=value]... [--allow-missing] [--templates DIR] [--contacts FILE]",
	summary: "Fill a template from the incident (facts, milestones, what its actions did, the timeline, contacts)\nand write it into the incident's comms/ (or -o). Refuses, naming every missing field, unless\n--allow-missing, which marks them [MISSING: name]. Records comms.rendered with the output's hash.",
	minArgs: 2, maxArgs: 2,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		out := fs.String("o", "", "output `FILE` (- for stdout; default comms/TEMPLATE-TIME.txt)")
		var sets, dirs multiFlag
		fs.Var(&sets, "set", "a field's value, `FIELD=VALUE` (repeatable)")
		fs.Var(&dirs, "templates", "extra templates `DIR` (repeatable)")
		allow := fs.Bool("allow-missing", false, "render anyway, marking missing fields [MISSING: name]")
		contactsFile := fs.String("contacts", "", "contacts `FILE` (default: contacts.yaml in the workspace)")
		force := fs.Bool("force", false, "replace -o FILE if it exists")
		return func(args []string) error {
			lib, err := comms.Load(dirs)
			if err != nil {
				return err
			}
			t, ok := lib.Get(args[1])
			if !ok {
				var names []string
				for _, t := range lib.All() {
					names = append(names, t.Name)
				}
				return withHint(fmt.Errorf("no template %q", args[1]), "templates: %s", strings.Join(names, ", "))
			}
			inc, err := a.load(args[0])
			if err != nil {
				return err
			}
			overrides := map[string]string{}
			for _, kv := range sets {
				k, v, ok := strings.Cut(kv, "=")
				if !ok || k == "" {
					return usagef("--set cve_id=CVE-2026-1234", "--set %q is not FIELD=VALUE", kv)
				}
				overrides[k] = v
			}
			sess := a.session(sessionOpts{contacts: *contactsFile})
			text, missing, err := sess.RenderComms(inc, t, overrides, *allow)
			if err != nil {
				return err
			}
			if *out == "-" {
				if err := comms.CheckSecrets(text); err != nil {
					return err
				}
				_, err := io.WriteString(a.stdout, comms.Clean(text))
				return err
			}
			w, err := sess.WriteComms(inc, t, text, missing, *out, *force)
			if err != nil {
				return err
			}
			if _, err := inc.Record(a.ctx, w.Event); err != nil {
				return err
			}
			a.printf("%s\n", textutil.Clean(w.Path, false))
			if len(missing) > 0 {
				fmt.Fprintf(a.stderr, "firebreak: warning: marked missing: %s\n", strings.Join(missing, ", "))
			}
			return nil
		}
	},
}

var cmdContacts = &command{
	name: "contacts", args: "[--init] [--contacts FILE] [--json]",
	summary: "Show the contacts the templates use (the runbook's \"Fill In Your Contacts\" table). --init writes the\nrunbook's table to the workspace's contacts.yaml for you to fill in (never over an existing file).",
	maxArgs: 0,
	bind: func(a *invocation, fs *flag.FlagSet) func([]string) error {
		initFile := fs.Bool("init", false, "write the default table to fill in")
		file := fs.String("contacts", "", "contacts `FILE` (default: contacts.yaml in the workspace)")
		jsonFlag(a, fs)
		return func([]string) error {
			path := a.contactsPath(*file)
			if *initFile {
				// The home's own contacts.yaml is fine; anything inside an
				// incident is the record.
				if err := actions.CheckOutput(path, []string{filepath.Join(a.ws.Home, "incidents")}); err != nil {
					return err
				}
				b, err := yaml.Marshal(comms.DefaultContacts)
				if err != nil {
					return err
				}
				if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
					return err
				}
				body := append([]byte("# firebreak contacts: fill in your own (role, contact, notes)\n"), b...)
				if _, _, err := fsutil.WriteNew(path, 0o600, false, false, func(w io.Writer) error { _, err := w.Write(body); return err }); err != nil {
					if errors.Is(err, fsutil.ErrExists) {
						return fmt.Errorf("%s already exists", path)
					}
					return err
				}
				a.printf("%s\n", path)
				return nil
			}
			cs, err := comms.LoadContacts(path)
			if err != nil {
				return err
			}
			if a.json {
				return a.printJSON(cs)
			}
			a.printf("%s\n", textutil.Clean(comms.FormatContacts(cs), true))
			return nil
		}
	},
}
