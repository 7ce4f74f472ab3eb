// Package policy decides, with CAVRA's enforcement contract, whether an AI
// agent's action is allowed, blocked or needs approval.
//
// # Where to start
//
// A request enters at Engine.Evaluate (engine.go), decoded by Decode
// (request.go) with the runtime's one JSON reader, internal/strictjson.
// The engine picks the pack, the --policy one or the built-in one the
// request names (builtin.go, packs/), and echoes the action, target and
// operation as CAVRA does. A release-governance record is decided by
// evalRelease (cavra_release.go), the same under every pack; any other
// action by the pack:
//
//   - a CAVRA compiled policy, *Compiled: cavra_compiled.go reads it,
//     cavra_eval.go decides, with CAVRA's rules on the request as sent,
//     then the same rules on every other reading of it;
//   - a native cavra.policy/v1 pack, *Policy: native_pack.go reads and
//     compiles it, native_eval.go and native_command.go decide,
//     native_glob.go matches its patterns.
//
// Both kinds read the world the same way: a command line with
// internal/shell (Read: every command the line would run and how it is
// reached; ReadPush: what a git push updates), a path with spellings and
// its case with foldString (paths.go), a policy or registry file with
// load.go, an MCP trust registry with ParseRegistry (registry.go). The
// Result becomes a Decision (decision.go), which writes CAVRA's JSON.
//
// # Requests
//
// Decode reads CAVRA's runtime request and EvaluateRequest v1 in one
// Request. The members used depend on action_type:
//
//	read_file, write_file      target: the path
//	execute_command            target: the command line
//	git_operation              operation (else requested_operation, else
//	                           capability): "push" …; target: "origin/main"
//	mcp_tool_call              server, tool, capability
//	release_governance_record  record or release_governance
//
// A request with release_governance is an EvaluateRequest v1: its
// operation, server, tool and capability are dropped, and with no
// action_type it is a release_governance_record.
//
// # Decisions and packs
//
// A Result carries the verdict, rule id, reason, severity, approver group
// and pack, and echoes the action type, target and operation as CAVRA
// does; NewDecision and the enforcer add who asked, ids, time and evidence
// references, and Decision writes CAVRA's two JSON forms. The built-in
// packs are CAVRA's sixteen public packs (CAVRAPacks) and three native
// ones (NativePacks), applied only when named. A request names its pack in
// policy_pack (default cavra-ai-agent-baseline); one this runtime does not
// have is blocked (policy.unknown_pack), where CAVRA would decide it with
// its baseline under the name asked for. A pack given to the engine
// (Config.Policy, --policy) decides every request, as in CAVRA.
//
// # CAVRA's rules
//
// A pattern matches the whole target; * and ** match any run of
// characters except a new line, / included; everything else is literal
// and case matters. Commands are trimmed first. In order, first match
// winning:
//
//	read_file         block_read → block filesystem.read.block high;
//	                  else allow filesystem.read.allow low
//	write_file        block_write → block filesystem.write.block high;
//	                  require_approval_write → require_approval
//	                  filesystem.write.require_approval high, Platform Security;
//	                  else allow filesystem.write.allow low
//	execute_command   commands.block → block commands.block, critical if the
//	                  line contains apply or delete, else high;
//	                  commands.allow → allow commands.allow low; else
//	                  require_approval commands.default.require_approval
//	                  medium, Repository Owners
//	git_operation     operation push and a target ending in main or master →
//	                  block git.protected_branch.block_direct_push high; else
//	                  allow git.allow low (in every pack)
//	mcp_tool_call     without a registry: a blocked server, or one not allowed
//	                  when unknown servers are blocked → block
//	                  mcp.server.trust.block_unknown high; else allow
//	                  mcp.server.trust.allow low. With a registry (every pack):
//	                  not registered → block mcp.registry.unknown; tier blocked
//	                  or state denied → block mcp.registry.blocked; state
//	                  pending or tier unknown/experimental → require_approval
//	                  mcp.registry.requires_approval; a tool outside
//	                  allowed_tools → mcp.registry.tool_scope; a capability
//	                  outside capabilities → mcp.registry.capability_scope
//	                  (these three medium, AI Governance); else allow
//	                  mcp.registry.allow
//	anything else     require_approval runtime.default.require_approval
//	                  medium, Repository Owners
//
// Release-governance records follow CAVRA's release_governance.* rules
// (see evalRelease). Reasons are CAVRA's ("Matched sensitive path policy:
// .env", …).
//
// # Where this runtime is stricter than CAVRA
//
// Only against evasion; each difference can only make a decision more
// restrictive, and its reason says how it was reached (the README's table
// gives the reasons): a path is also matched in its other spellings and
// ignoring case; every command a line would run (shell.Read) is matched
// against the block patterns and pushes to main or master, and a line is
// allowed only if every command in it is; a git_operation push is also
// read when written out or padded; a blocked MCP server also matches in
// another case; input that breaks internal/strictjson's rules, has a
// member of the wrong type, or carries both record and
// release_governance is blocked (input.invalid); drift_status
// drift_detected is a critical signal, as in CAVRA's Python RuntimeGuard.
//
// # Native packs (cavra.policy/v1)
//
// A native pack is a JSON object in the shape of Native
// (packs/hardened-agent-baseline.json is one): rules for reads, writes
// and commands in lists that say what they do (blocked, approval,
// allowed), protected branches, trusted and blocked MCP servers, and the
// effect (block or require_approval) of each failed check. Rule ids are
// unique and differ from the fixed ones. Parse refuses unknown members,
// another schema and trailing data, so a typo cannot drop a rule.
//
// Path patterns are split at '/': * and ? work within a segment, ** as a
// whole segment matches any number of segments, a leading / anchors at
// the root ("**/.env" matches ".env" and "/home/me/.env"). A path is
// matched in each of its spellings (paths.go); blocked and approval
// patterns ignore case. A path no rule matches is allowed (read.default,
// write.default); blocked rules win over approval rules, and within a
// list the first rule in pack order wins.
//
// Command patterns are words: each pattern word matches one command word,
// with * and ? inside it, and ** matches any number of words. Blocked and
// approval patterns match a prefix of the command at any of its words,
// against the program's base name, ignoring case; allowed patterns must
// match a whole command from its first word, as written ("terraform plan
// **"). A line is judged over every command it would run: blocked if one
// matches a blocked pattern, pushes to a protected branch or names a
// blocked path; then an approval pattern, a force push or a push to a
// branch that cannot be told (force_push, unknown_ref) asks for approval;
// then syntax whose effect depends on running it (expansions,
// substitutions, here-documents, comments, redirections to files,
// unquoted globs, leading assignments, odd characters) gets
// command.opaque; else it is allowed only if every command matches an
// allowed pattern (else command.unlisted).
//
// A push (a git_operation or a git command at any word) updates its
// refspecs' destinations and the git_operation target: one to a
// protected branch is blocked; --all, --mirror or a wildcard refspec is
// blocked where the pack protects any branch (git.push_all_branches).
//
// An MCP call: a blocked server is blocked; one not in the registry is
// allowed if the pack trusts it, else unknown_server; denied or revoked
// blocks; pending gets unapproved_server; a tier below min_trust_tier
// low_trust_tier; a tool or capability off the server's lists
// tool_not_allowed or capability_not_allowed; else mcp.allowed. A native
// registry is {"schema": "cavra.mcp-registry/v1", "servers": [{"name",
// "approval", "trust_tier", "tools", "capabilities", "owner"?,
// "notes"?}]}. Either kind of registry serves either kind of pack (see
// ParseRegistry).
package policy
