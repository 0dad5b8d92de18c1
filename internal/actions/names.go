package actions

// The actions' names, as playbooks, the journal's records and
// internal/app's table spell them. Code names an action through these, so
// a misspelt name does not compile.
const (
	NameChecksumsMake       = "checksums.make"
	NameCommsRender         = "comms.render"
	NameEvidenceAdd         = "evidence.add"
	NameEvidenceQuarantine  = "evidence.quarantine"
	NameFileSign            = "file.sign"
	NameGhAudit             = "gh.audit"
	NameGhCancelRuns        = "gh.cancel-runs"
	NameGhPause             = "gh.pause"
	NameGhPublish           = "gh.publish"
	NameGhResume            = "gh.resume"
	NameGhSecretDelete      = "gh.secret-delete"
	NameGhSecretSet         = "gh.secret-set"
	NameGitCommit           = "git.commit"
	NameGitFirstBad         = "git.first-bad"
	NameGitRestore          = "git.restore"
	NameKeyAge              = "key.age"
	NameKeyCheckConsistency = "key.check-consistency"
	NameKeyFingerprint      = "key.fingerprint"
	NameKeyGenerate         = "key.generate"
	NameKeyIsolate          = "key.isolate"
	NameKeyPinUpdate        = "key.pin-update"
	NameRecordExport        = "record.export"
	NameRecordWindow        = "record.window"
	NameSignaturesOpenssl   = "signatures.openssl"
	NameSignaturesVerify    = "signatures.verify"
	NameWasmResign          = "wasm.resign"
	NameWasmScan            = "wasm.scan"
	NameWasmShow            = "wasm.show"
	NameWasmSign            = "wasm.sign"
	NameWorkflowUseSecret   = "workflow.use-secret"
)
