// Package policy decides, with CAVRA's enforcement contract, whether an AI
// agent's action is allowed, blocked or needs approval.
//
// # Requests
//
// A Request is the union of CAVRA's runtime request and its
// EvaluateRequest v1: session_id, agent_id, actor, action_type, target,
// requested_operation, operation, policy_pack, server, tool, capability,
// record (an untyped release-governance payload), release_governance (the
// typed one) and runner_auth. Decode reads one (see Decode for the strict
// rules). The members used depend on action_type:
//
//	read_file, write_file      target: the path
//	execute_command            target: the command line
//	git_operation              operation (else requested_operation, else
//	                           capability): "push" …; target: "origin/main"
//	mcp_tool_call              server, tool, capability
//	release_governance_record  record or release_governance
//
// As in CAVRA, the operation is operation, else requested_operation, else
// capability. A request with release_governance is an EvaluateRequest v1:
// its operation, server, tool and capability are dropped, and with no
// action_type it is a release_governance_record.
//
// # Decisions
//
// Engine.Evaluate returns a Result: verdict (allow, block,
// require_approval), rule id, reason, severity, approver group (only
// where a rule names one), the pack reported as policy_pack and policy_id,
// and the action type, target and requested_operation the decision
// echoes. NewDecision adds who asked, with CAVRA's defaults (session_id
// local, agent_id unknown-agent, actor ai-agent); the enforcer adds
// decision_id (dec_ and 12 hex digits), correlation_id (corr_ and 12),
// timestamp (UTC, RFC 3339 with nanoseconds) and evidence_refs
// (evidence://<session_id>/<decision_id>). Decision.AppendV1 writes a
// DecisionResponse v1 (members in proto order, empty ones left out);
// Decision.AppendRuntime writes CAVRA's runtime decision, whose decision,
// reason, action_type, target, requested_operation, policy_pack,
// policy_id, rule_id and severity are always present. Both write exactly
// the bytes Go's encoding/json writes for CAVRA's structs.
//
// # Packs
//
// The built-in packs are CAVRA's sixteen public packs (CAVRAPacks), from
// cavra-agentic-delivery to cavra-terraform-prod, each exactly what
// `cavra policy compile --policy-pack <id>` makes of policies/<id>/policy.yaml
// (inheritance resolved, lists sorted; see packs/README.md), and three
// native packs (NativePacks, below). A request names its pack in
// policy_pack; none means the default, cavra-ai-agent-baseline.
//
// A request naming a pack this runtime does not have is blocked
// (policy.unknown_pack). CAVRA's Go runtime silently decides such a
// request with its baseline while reporting the requested id as
// policy_pack and policy_id, so a typo, or a pack the runtime lacks,
// gets another pack's answer under the name of the one asked for, and
// the evidence says so. Refusing makes the mistake visible at once.
//
// A compiled policy given to the engine (Config.Policy, --policy) decides
// every request, as in CAVRA; the request's policy_pack is then only a
// label, reported as policy_pack and policy_id (else metadata.id, else
// cavra-ai-agent-baseline). ParsePolicy reads a CAVRA compiled policy
// (the output of cavra policy compile) or a native pack, told apart by
// shape: a native pack has "schema". Of a compiled policy, as in CAVRA,
// metadata.id, filesystem.block_read, .block_write,
// .require_approval_write, commands.block, .allow, mcp.allowed_servers,
// .blocked_servers and .block_unknown_servers (true when absent) are
// enforced, entries trimmed and empty ones dropped; everything else
// (git, approvals, evidence, compliance, commands.require_approval, …) is
// carried, and Compiled.CompiledJSON prints it back as cavra does.
//
// # CAVRA's rules
//
// A pattern matches the whole target; * and ** match any run of
// characters except a newline, / included; everything else is literal
// and case matters (so **/secrets.* needs a folder and .env matches only
// .env). Commands are trimmed first. In order, first match winning:
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
// Reasons are CAVRA's ("Matched sensitive path policy: .env", …).
//
// Release-governance records (evalRelease, the same in every pack) follow
// CAVRA's release_governance.* rules: the approval state (approved with an
// approval id allows, without one blocks; pending needs approval; denied,
// rejected, expired, cancelled block; others need approval), else failed
// deliveries block, critical signals (alert level, drift, handoff, failed
// verification, integrity mismatch, failed audit export, and the counts)
// need approval, approval-required kinds need approval (executions are
// blocked), and known kinds are verified. Every decision that is not an
// allow names the Release Governance group. Untyped records are read as
// CAVRA reads its map: strings from any value, counts from numbers only,
// delivery_success from true or "yes", "success", ….
//
// # Where this runtime is stricter than CAVRA
//
// Only against evasion: a request CAVRA decides gets CAVRA's decision,
// rule id, severity and approver group unless one of these applies; each
// can only make a decision more restrictive, and its reason says how it
// was reached.
//
//	what                        CAVRA                          here, and why
//	--------------------------  -----------------------------  ------------------------------------------
//	unknown policy_pack         decided with the baseline,     blocked (policy.unknown_pack): the evidence
//	                            reported as the pack asked     must not name a pack that was not applied
//	path spellings              the target as sent             also cleaned (./x, a/../x, a//x, trailing
//	                                                           /, backslashes), the Windows reading (x.,
//	                                                           x::$DATA) and ignoring ASCII case; the most
//	                                                           restrictive answer wins: file systems
//	                                                           resolve these to the same file
//	hidden blocked commands     only the whole line, anchored  every command the line would run, in every
//	                            at its start                   form: chains (; && || & newlines), pipes,
//	                                                           wrappers (sudo, env, timeout, nice, nohup,
//	                                                           xargs, eval, ssh, …), sh -c strings, text
//	                                                           piped or fed as a here-document to a shell,
//	                                                           $(…), `…`, <(…), (…), ${…}, leading
//	                                                           assignments, program paths, quoting and
//	                                                           extra white space: blocked under the
//	                                                           pack's pattern (commands.block)
//	allowed lines               one allow pattern on the line  every command of the line must match one,
//	                            (pytest* allows "pytest; curl  and the line must read cleanly; else
//	                            … | sh")                       commands.default.require_approval
//	pushes as commands          blocked only where a pack      git push to main or master in any form
//	                            lists "git push origin main"   (-u, HEAD:refs/heads/master, +x:main, --all,
//	                                                           --mirror, git -C dir): blocked in every pack
//	                                                           (git.protected_branch.block_direct_push), as
//	                                                           CAVRA blocks such a git_operation
//	git_operation               operation exactly "push"       also "push origin main", "git push -f … :main",
//	                                                           padded, or a target with a trailing slash
//	blocked MCP servers         exact name                     also ignoring case and surrounding space
//	input                       lenient: last repeat wins,     a repeated member (any spelling), a wrong
//	                            null accepted, invalid UTF-8   type, null for a string, NUL, invalid UTF-8,
//	                            replaced, trailing data        trailing data, record with
//	                            ignored                        release_governance, over 1 MiB: blocked
//	                                                           (input.invalid, input.too_large)
//	counts past 2^63            negative on amd64              clamped, so still counted
//
// The daemon, evidence and runner checks are stricter too; see packages
// evidence, runnerauth and enforce.
//
// # Native packs (cavra.policy/v1)
//
// The native format predates this runtime's CAVRA packs and keeps its own
// rules and rule ids; the built-in hardened-agent-baseline,
// hardened-banking-baseline and hardened-mcp-enterprise packs use it, and
// are applied only when a request or the operator names them. Such a pack
// is a JSON object; Parse and Load read it, and Policy.JSON and
// "cavra-runtime policy show NAME" print it:
//
//	{
//	  "schema": "cavra.policy/v1",          // required, exactly this
//	  "name": "acme-agents",                // lower-case letters, digits, . _ -
//	  "description": "…",                   // optional
//	  "approver_group": "platform-security",// default for approval outcomes
//	  "reads":  {"blocked": [RULE…], "approval": [RULE…]},
//	  "writes": {"blocked": [RULE…], "approval": [RULE…]},
//	  "commands": {"blocked": [RULE…], "approval": [RULE…], "allowed": [RULE…]},
//	  "git": {
//	    "protected_branches": [RULE…],      // patterns over branch names
//	    "force_push": "block",              // block | require_approval
//	    "unknown_ref": "require_approval",  // block | require_approval
//	    "approver_group": "…"               // optional
//	  },
//	  "mcp": {
//	    "blocked_servers": [RULE…],         // patterns over server names
//	    "trusted_servers": [RULE…],         // servers allowed without a registry entry
//	    "min_trust_tier": "community",      // untrusted | community | verified | internal
//	    "unknown_server": "require_approval",
//	    "unapproved_server": "require_approval",
//	    "low_trust_tier": "require_approval",
//	    "tool_not_allowed": "block",
//	    "capability_not_allowed": "require_approval",
//	    "approver_group": "…"               // optional
//	  }
//	}
//
// where each RULE is
//
//	{"id": "read.secrets.dotenv", "patterns": ["**/.env", "**/.env.*"],
//	 "severity": "critical", "reason": "environment files hold credentials",
//	 "approver_group": "…"}                 // optional, for approval rules
//
// The list a rule is in says what it does. Ids must be unique within the
// pack and differ from the fixed ids; severity is info, low, medium, high
// or critical; reason and at least one pattern are required. Effects for
// failed checks (force_push, unknown_server, …) may be block or
// require_approval, never allow. Parse rejects unknown members, a
// different schema and anything after the object, so a typo cannot
// silently drop a rule. Patterns are compiled once, when the pack is
// loaded.
//
// # Native patterns
//
// Path patterns are split at '/'. Within a segment, * matches any run of
// characters and ? one character; ** as a whole segment matches any
// number of segments, including none. A pattern starting with / matches
// absolute paths only; start it with **/ to match at any depth. So
// "**/.env" matches ".env", "app/.env" and "/home/me/.env", and
// "**/*.pem" matches "deploy/key.pem". \, [, ], { and } are rejected.
//
// Before matching, a path is cleaned: backslashes become slashes and
// path.Clean removes ".", ".." and doubled slashes, so "a/../.env",
// "./.env" and "a\\..\\.env" are all ".env". A file: URL is reduced to
// its path. The Windows reading (trailing dots and spaces and NTFS
// stream suffixes dropped, as in ".env." or ".env::$DATA") and the
// uncleaned path are matched too, and block and approval patterns ignore
// case (including the Kelvin sign and long s that fold to k and s), so
// each spelling a file system might resolve to the same file is caught.
// There are no allow rules for paths: a path that matches no rule is
// allowed (read.default, write.default). Blocked rules win over approval
// rules; within a list the first matching rule in pack order wins.
// Symbolic links are not resolved: the policy sees paths, not files.
//
// Command patterns are words separated by white space; each pattern word
// matches one command word, with * and ? inside it, and ** matches any
// number of words. The first word is the program name. Blocked and
// approval patterns match a prefix of the command (a trailing ** is
// implied), at any word (so "sudo terraform apply" and
// "timeout 60 terraform apply" match "terraform ** apply"), against the
// program's base name without .exe ("/usr/bin/terraform" is
// "terraform"), ignoring case. Allowed patterns must match a whole simple
// command from its first word, exactly as written: "terraform plan"
// allows only that, "terraform plan **" allows any arguments, and
// "./terraform plan" or "sudo terraform plan" match neither.
//
// # Native command lines
//
// A command line is split as a POSIX shell would split it: into simple
// commands at ; & && | || |& and newlines, and into words, with quotes
// and backslashes removed, so "terraform  'apply'" is terraform apply.
// The line is then judged as follows (see evalCommand for details):
//
//  1. Block if any simple command matches a blocked pattern, pushes to a
//     protected branch, or has an argument or redirection naming a path
//     blocked for reading or writing ("cat .env"). A line that runs
//     another command line (sh -c, bash -c, eval, ssh, sudo, xargs,
//     python -c, …) or uses syntax that cannot be judged before it runs
//     is also read a second, crude way, with all quoting dropped, so
//     "sh -c 'terraform apply'" is blocked too.
//  2. Require approval if an approval pattern matches, or for a force
//     push or a push whose branch cannot be told (force_push,
//     unknown_ref).
//  3. Require approval (command.opaque) for syntax whose effect depends
//     on running it: $ expansions and substitutions, backquotes,
//     subshells, braces, here-documents, comments, redirections other
//     than to /dev/null or between descriptors, unquoted globs, leading
//     VAR=value assignments, control characters or unusual white space.
//  4. Allow only if every simple command matches an allowed pattern;
//     otherwise require approval (command.unlisted).
//
// So a chain, pipe or wrapper comes out allow only if each of its parts
// would be allowed on its own.
//
// # Native git pushes
//
// A push is found in a git_operation or in any simple command of an
// execute_command line, after git's global options (-C dir, -c k=v, …).
// Its destinations are the refspecs after the remote ("main",
// "HEAD:main", "+feature:refs/heads/main", ":main" to delete), plus the
// git_operation target. A push to a protected branch is blocked; --all,
// --branches, --mirror or a wildcard refspec are blocked when the pack
// protects any branch (git.push_all_branches); --force, -f,
// --force-with-lease, --mirror and +refspecs get force_push; a push
// with no refspec or a destination such as HEAD gets unknown_ref.
//
// # Native MCP rules
//
// An MCP call is decided with the pack and a trust Registry (see
// RegistryFile for its JSON): a blocked server is blocked; a server not
// in the registry is allowed if the pack trusts it and otherwise gets
// unknown_server; a denied or revoked server is blocked; a pending one
// gets unapproved_server; a trust tier below min_trust_tier gets
// low_trust_tier; a tool not on the server's tools list gets
// tool_not_allowed; a capability not on its capabilities list, or none
// when the list is not empty, gets capability_not_allowed; else it is
// allowed (mcp.allowed). Blocked-server patterns ignore case; trusted
// servers and registry names must match exactly.
//
// A native registry ("--registry" with a "schema" member) is
//
//	{"schema": "cavra.mcp-registry/v1",
//	 "servers": [
//	   {"name": "github", "approval": "approved", "trust_tier": "verified",
//	    "tools": ["get_*", "create_pull_request"], "capabilities": ["repo:read"],
//	    "owner": "platform-team", "notes": "…"}]}
//
// with approval one of approved, pending, denied, revoked. Either kind of
// registry serves either kind of pack: a CAVRA registry reads, for native
// packs, as approved servers of tier verified (pending for approval_state
// pending or trust_tier unknown or experimental, denied for denied or
// blocked) whose empty lists allow anything; a native one reads, for CAVRA
// packs, as records with trust_tier unknown for untrusted servers.
// # Native built-in packs
//
// hardened-agent-baseline blocks reading secrets (.env, keys, .ssh, cloud
// credentials, Terraform state), writing them, .git internals, shell
// start-up files and system directories; asks approval for IAM, CI and
// CODEOWNERS changes and writes outside the working directory; blocks
// terraform apply/destroy, rm -rf, disk and power commands, cloud and
// cluster deletions and package publishing; asks approval for network
// fetches, privilege changes and cluster changes; allows read-only
// terraform, git and file commands, Go, npm, cargo and pytest builds and
// tests; protects main, master, production and prod.
//
// hardened-banking-baseline is stricter: approval to read customer data
// and variable files and to change infrastructure code, migrations and
// dependency manifests; blocks kubectl and helm changes, privilege
// escalation and database clients; every push needs approval; release,
// hotfix, develop and support branches are protected; pushes whose branch
// cannot be told are blocked; MCP servers must be verified.
//
// hardened-mcp-enterprise is the hardened baseline with a closed MCP
// estate: unknown, unapproved or low-tier servers and disallowed tools or
// capabilities are blocked, as are servers run straight from npx, uvx or
// a URL.
//
// These rules never change what a cavra-* pack decides.
package policy
