package app

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/firebreak-dev/firebreak/evidence"
	"github.com/firebreak-dev/firebreak/internal/actions"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/internal/signing"
	"github.com/firebreak-dev/firebreak/internal/wasmsig"
)

// Evidence, keys, signatures and modules.
func init() {
	register(
		entry{Spec: actions.Spec{Name: actions.NameEvidenceQuarantine, Summary: "move files into the incident's evidence", Required: []string{"paths"}, Optional: []string{"recursive", "record_as"}},
			needsIncident: true, build: func(b *builder) (actions.Action, error) { return b.take(true) }},
		entry{Spec: actions.Spec{Name: actions.NameEvidenceAdd, Summary: "copy files into the incident's evidence", Required: []string{"paths"}, Optional: []string{"recursive", "record_as"}},
			needsIncident: true, build: func(b *builder) (actions.Action, error) { return b.take(false) }},
		entry{Spec: actions.Spec{Name: actions.NameKeyIsolate, Summary: "move a private key out of service, mode 0000", Required: []string{"path"}, Optional: []string{"to"}},
			needsIncident: true, build: buildIsolate},
		entry{Spec: actions.Spec{Name: actions.NameKeyGenerate, Summary: "generate an Ed25519 key pair (a relative out, in an incident, is under its newkeys/)", Required: []string{"out"}, Optional: []string{"format", "record_as"}},
			build: buildGenerate},
		entry{Spec: actions.Spec{Name: actions.NameKeyAge, Summary: "check how long a key has been in service against the rotation cadence (90 days unless max_age): since the commit that introduced it in repo_dir, or since", Required: []string{"path"}, Optional: []string{"max_age", "since", "repo_dir"}},
			build: buildKeyAge},
		entry{Spec: actions.Spec{Name: actions.NameFileSign, Summary: "write a detached Ed25519 signature", Required: []string{"file", "key"}, Optional: []string{"out"}},
			build: buildSignFile},
		entry{Spec: actions.Spec{Name: actions.NameChecksumsMake, Summary: "write a checksums manifest", Required: []string{"files", "out"}, Optional: []string{"sign", "sig", "version", "repository", "tag"}},
			build: buildChecksums},
		entry{Spec: actions.Spec{Name: actions.NameWasmSign, Summary: "add an Ed25519 signature to a module", Required: []string{"file", "key"}, Optional: []string{"out", "pubkey", "detached", "layout"}},
			build: buildWasmSign},
		entry{Spec: actions.Spec{Name: actions.NameWasmScan, Summary: "find the modules a key signed", Required: []string{"paths"}, Optional: []string{"key_id", "pubkey"}},
			needsIncident: true, build: buildWasmScan},
		entry{Spec: actions.Spec{Name: actions.NameWasmResign, Summary: "drop a key's signatures from modules and add a new one", Required: []string{"paths", "key"}, Optional: []string{"drop_key_id", "drop_pubkey", "pubkey", "out_dir", "layout"}},
			build: buildResign},
		entry{Spec: actions.Spec{Name: actions.NameWasmShow, Summary: "save a module's signature information into the evidence", Required: []string{"file"}},
			needsIncident: true, build: func(b *builder) (actions.Action, error) {
				pin, err := b.pinRoot("", false)
				if err != nil {
					return nil, err
				}
				s := &actions.ShowModule{File: b.args.Get("file"), Store: b.evidenceStore(), Scratch: b.scratch(), Actor: b.s.Actor, Notify: b.s.Notify}
				if pin != nil {
					s.Root = pin.Root
				}
				return s, nil
			}},
	)
}

func (b *builder) take(move bool) (actions.Action, error) {
	prot, err := b.protected()
	if err != nil {
		return nil, err
	}
	return &actions.Take{Store: b.evidenceStore(), Paths: b.args.List("paths"), Recursive: b.args.Bool("recursive"), Move: move, Actor: b.s.Actor, Protect: prot, RecordAs: b.args.Get("record_as")}, nil
}

func buildIsolate(b *builder) (actions.Action, error) {
	dir, err := b.s.KeyStoreDir(b.inc, b.args.Get("to"))
	if err != nil {
		return nil, err
	}
	st := evidence.NewKeyStore(dir)
	st.Now = b.s.Now
	prot, err := b.protected()
	if err != nil {
		return nil, err
	}
	path := b.args.Get("path")
	// Isolating needs no passphrase: only a file's is used (for the
	// fingerprint), never a question.
	return &actions.IsolateKey{Store: st, Path: path, Pass: b.s.passphrase(path, false), Actor: b.s.Actor, Protect: prot}, nil
}

func buildGenerate(b *builder) (actions.Action, error) {
	f := b.args.Get("format")
	switch f {
	case "":
		f = "pem"
	case "pem", "wsc":
	default:
		return nil, b.formErr("format", fmt.Errorf("%q is not pem or wsc", f))
	}
	g := &actions.GenerateKey{Prefix: b.args.Get("out"), Format: f, RecordAs: b.args.Get("record_as")}
	if b.inc != nil {
		// An incident's new key material stays with the incident, in its
		// newkeys/, never in whatever directory the console or command
		// started in (a clone one `git add .` away from publishing it).
		dir, err := filepath.Abs(filepath.Join(b.inc.Dir, "newkeys"))
		if err != nil {
			return nil, err
		}
		switch {
		case filepath.IsAbs(g.Prefix):
			// Named in full, it is the newkeys/ case when it is there (the
			// fact a first run recorded, the step reopened since).
			if filepath.Dir(filepath.Clean(g.Prefix)) == dir {
				g.Dir, g.Prefix = dir, filepath.Clean(g.Prefix)
			}
		case !filepath.IsLocal(g.Prefix) || strings.ContainsRune(g.Prefix, filepath.Separator):
			return nil, b.formErr("out", fmt.Errorf("%q is not a plain name: a relative name is a file in the incident's newkeys/; give an absolute path to write elsewhere", g.Prefix))
		default:
			g.Dir, g.Prefix = dir, filepath.Join(dir, g.Prefix)
		}
	}
	if b.s.NewPassphrase != nil {
		pw, err := b.s.NewPassphrase()
		if err != nil {
			return nil, err
		}
		g.Passphrase = pw
	}
	return g, nil
}

func buildSignFile(b *builder) (actions.Action, error) {
	priv, err := b.privateKey("key")
	if err != nil {
		return nil, err
	}
	out := b.args.Get("out")
	if out == "" {
		out = b.args.Get("file") + ".sig"
	}
	return &actions.SignFile{File: b.args.Get("file"), Out: out, Key: priv}, nil
}

func buildChecksums(b *builder) (actions.Action, error) {
	out := b.args.Get("out")
	m := &actions.MakeChecksums{Files: b.args.List("files"), Out: out, Now: b.s.Now,
		Meta: signing.Manifest{Version: b.args.Get("version"), Repository: b.args.Get("repository"), Tag: b.args.Get("tag")}}
	if b.args.Get("sign") != "" {
		priv, err := b.privateKey("sign")
		if err != nil {
			return nil, err
		}
		m.SignKey, m.SigOut = priv, b.args.Get("sig")
		if m.SigOut == "" {
			m.SigOut = filepath.Join(filepath.Dir(out), "checksums.sig")
		}
	}
	return m, nil
}

func buildWasmSign(b *builder) (actions.Action, error) {
	k, withKID, err := b.moduleKey("key", "pubkey")
	if err != nil {
		return nil, err
	}
	out := b.args.Get("out")
	if out == "" {
		out = b.args.Get("file")
	}
	return &actions.SignModule{File: b.args.Get("file"), Out: out, Detached: b.args.Get("detached"), Key: k.Private,
		Opts: wasmsig.SignOptions{KeyID: withKID, Layout: b.args.Get("layout")}}, nil
}

func buildWasmScan(b *builder) (actions.Action, error) {
	kid, pub, err := b.keySelector("key_id", "pubkey")
	if err != nil {
		return nil, err
	}
	return &actions.ScanModules{Paths: b.args.List("paths"), KeyID: kid, Pub: pub, Store: b.evidenceStore(), Scratch: b.scratch(), Actor: b.s.Actor}, nil
}

func buildResign(b *builder) (actions.Action, error) {
	kid, dpub, err := b.keySelector("drop_key_id", "drop_pubkey")
	if err != nil {
		return nil, err
	}
	files, err := b.modules("paths")
	if err != nil {
		return nil, err
	}
	k, withKID, err := b.moduleKey("key", "pubkey")
	if err != nil {
		return nil, err
	}
	if dpub != nil && dpub.Equal(k.Public) {
		clear(k.Private)
		return nil, errors.New("the new key is the key being dropped")
	}
	// Inside an incident each original is first copied into the evidence.
	return &actions.ResignModules{Files: files, DropKID: kid, DropPub: dpub, Key: k.Private, OutDir: b.args.Get("out_dir"), Actor: b.s.Actor,
		Keep: b.evidenceStore(), Opts: wasmsig.SignOptions{KeyID: withKID, Layout: b.args.Get("layout")}}, nil
}

func buildKeyAge(b *builder) (actions.Action, error) {
	k := &actions.KeyAge{Path: b.args.Get("path"), Now: b.s.now}
	if v := b.args.Get("max_age"); v != "" {
		d, err := parseDays(v)
		if err != nil {
			return nil, b.formErr("max_age", err)
		}
		k.MaxAge = d
	}
	if v := b.args.Get("since"); v != "" {
		t, err := incident.ParseTime(v, b.s.now())
		if err != nil {
			return nil, b.formErr("since", err)
		}
		if t.Before(time.Unix(0, 0)) { // and the zero time would read as "not given"
			return nil, b.formErr("since", fmt.Errorf("%s is before 1970: no key went into service then", v))
		}
		k.Since = t
	}
	if b.args.Get("repo_dir") != "" {
		r, err := b.repo()
		if err != nil {
			return nil, err
		}
		if r.Dir, err = filepath.Abs(r.Dir); err != nil {
			return nil, err
		}
		k.Repo = r
		if !filepath.IsAbs(k.Path) {
			// A path as given (from where firebreak runs) when it names a
			// file; else a path in the repository.
			if _, err := os.Stat(k.Path); err == nil {
				if k.Path, err = filepath.Abs(k.Path); err != nil {
					return nil, err
				}
			} else {
				k.Path = filepath.Join(r.Dir, k.Path)
			}
		}
	}
	return k, nil
}

// parseDays reads a span: "90d", or a Go duration ("36h").
func parseDays(v string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(strings.TrimSpace(v), "d"); ok {
		days, err := strconv.Atoi(n)
		if err == nil && days > 0 && days < 100000 {
			return time.Duration(days) * 24 * time.Hour, nil
		}
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q is not a span such as 90d or 36h", v)
	}
	return d, nil
}
