package app

import (
	"fmt"
	"os"

	"github.com/firebreak-dev/firebreak/internal/actions"
	"github.com/firebreak-dev/firebreak/internal/gitrepo"
	"github.com/firebreak-dev/firebreak/internal/incident"
)

// Rotation and rollback: pins, fingerprints, workflows, signatures, git.
func init() {
	register(
		entry{Spec: actions.Spec{Name: actions.NameKeyCheckConsistency, Summary: "check every key reference against the pinned fingerprint", Required: []string{"pin", "files"}},
			build: func(b *builder) (actions.Action, error) {
				return &consistencyAction{pin: b.args.Get("pin"), files: b.args.List("files")}, nil
			}},
		entry{Spec: actions.Spec{Name: actions.NameKeyPinUpdate, Summary: "replace every pinned copy of the old public key (key files, PEM blocks, fingerprints) with the new one", Required: []string{"old", "new", "files"}},
			build: buildPinUpdate},
		entry{Spec: actions.Spec{Name: actions.NameKeyFingerprint, Summary: "compute a public key's fingerprint, natively and with openssl", Required: []string{"pubkey"}, Optional: []string{"expect", "record_as"}},
			build: func(b *builder) (actions.Action, error) {
				return &actions.CheckFingerprint{PubPath: b.args.Get("pubkey"), Expect: b.args.Get("expect"), RecordAs: b.args.Get("record_as")}, nil
			}},
		entry{Spec: actions.Spec{Name: actions.NameWorkflowUseSecret, Summary: "point workflow files at another secret", Required: []string{"files", "from", "to"}},
			build: func(b *builder) (actions.Action, error) {
				return &actions.UseSecret{Files: b.args.List("files"), From: b.args.Get("from"), To: b.args.Get("to")}, nil
			}},
		entry{Spec: actions.Spec{Name: actions.NameSignaturesVerify, Summary: "check signatures with a key: that they verify, or (expect: invalid) that a retired key is rejected", Required: []string{"pubkey"}, Optional: []string{"signed", "modules", "expect"}},
			build: buildVerifySignatures},
		entry{Spec: actions.Spec{Name: actions.NameSignaturesOpenssl, Summary: "verify detached signatures with openssl (the external client)", Required: []string{"pubkey", "signed"}},
			needsIncident: true, build: func(b *builder) (actions.Action, error) {
				signed, err := actions.ParseSignedFiles(b.args.List("signed"))
				if err != nil {
					return nil, b.argErr("signed", err)
				}
				return &actions.VerifyOpenSSL{PubPath: b.args.Get("pubkey"), Signed: signed, Scratch: b.scratch()}, nil
			}},
		entry{Spec: actions.Spec{Name: actions.NameGitFirstBad, Summary: "find the first commit whose signed file does not verify, and the known-good one before it", Required: []string{"repo_dir", "file", "pubkey"}, Optional: []string{"sig"}},
			build: func(b *builder) (actions.Action, error) {
				r, err := b.repo()
				if err != nil {
					return nil, err
				}
				k, err := b.pub("pubkey")
				if err != nil {
					return nil, err
				}
				return &actions.FindFirstBad{Repo: r, File: b.args.Get("file"), Sig: b.args.Get("sig"), Pub: k}, nil
			}},
		entry{Spec: actions.Spec{Name: actions.NameGitRestore, Summary: "restore files to their content at a commit", Required: []string{"repo_dir", "commit", "paths"}},
			build: func(b *builder) (actions.Action, error) {
				r, err := b.repo()
				if err != nil {
					return nil, err
				}
				return &actions.RestoreFiles{Repo: r, Commit: b.args.Get("commit"), Paths: b.args.List("paths")}, nil
			}},
		entry{Spec: actions.Spec{Name: actions.NameGitCommit, Summary: "commit the repository's changes", Required: []string{"repo_dir", "message"}},
			build: func(b *builder) (actions.Action, error) {
				r, err := b.repo()
				if err != nil {
					return nil, err
				}
				return &actions.CommitFiles{Repo: r, Message: b.args.Get("message")}, nil
			}},
		entry{Spec: actions.Spec{Name: actions.NameRecordWindow, Summary: "record the impacted window from the first bad commit to now", Required: []string{"from"}},
			build: func(b *builder) (actions.Action, error) {
				from, err := incident.ParseTime(b.args.Get("from"), b.s.now())
				if err != nil {
					return nil, b.argErr("from", err)
				}
				return &actions.RecordWindow{From: from, Now: b.s.Now}, nil
			}},
	)
}

// repo is the git repository repo_dir names, commits authored by the actor.
func (b *builder) repo() (*gitrepo.Repo, error) {
	dir := b.args.Get("repo_dir")
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, b.argErr("repo_dir", err)
	}
	if !fi.IsDir() {
		return nil, b.argErr("repo_dir", fmt.Errorf("%s is not a directory", dir))
	}
	return &gitrepo.Repo{Dir: dir, Author: b.s.Actor, Email: b.s.Actor + "@firebreak.invalid"}, nil
}

func buildPinUpdate(b *builder) (actions.Action, error) {
	old, err := b.pub("old")
	if err != nil {
		return nil, err
	}
	nw, err := b.pub("new")
	if err != nil {
		return nil, err
	}
	return &actions.UpdatePins{Old: old, New: nw, Files: b.args.List("files")}, nil
}

func buildVerifySignatures(b *builder) (actions.Action, error) {
	signed, err := actions.ParseSignedFiles(b.args.List("signed"))
	if err != nil {
		return nil, b.argErr("signed", err)
	}
	k, err := b.pub("pubkey")
	if err != nil {
		return nil, err
	}
	var mods []string
	if len(b.args.List("modules")) > 0 {
		if mods, err = b.modules("modules"); err != nil {
			return nil, err
		}
	}
	switch b.args.Get("expect") {
	case "", "valid", "invalid":
	default:
		return nil, b.formErr("expect", fmt.Errorf("%q is not valid or invalid", b.args.Get("expect")))
	}
	return &actions.VerifySignatures{Pub: k, Signed: signed, Modules: mods, ExpectValid: b.args.Get("expect") != "invalid"}, nil
}
