// Package policy decides whether an AI agent's action is allowed,
// blocked or needs approval.
//
// # Requests
//
// A Request names an action and its target. Decode parses one from JSON
// (see Decode for the exact, fail-closed rules: known members must be
// strings, duplicates and NULs are rejected, unknown members are
// ignored). The members used depend on action_type:
//
//	read_file        target: the path read
//	write_file       target: the path written (created, changed or deleted)
//	execute_command  target: the command line; if operation is also set,
//	                 the line is target + " " + operation
//	git_operation    operation: the git command ("push origin main",
//	                 "git push --force", "status"); target: the branch a
//	                 push updates ("main", "refs/heads/release/1.2"). If
//	                 operation is empty, target holds the whole git command.
//	mcp_tool_call    server, tool and capability
//
// session_id, agent_id and actor identify who acts; they are echoed in
// the decision and recorded as evidence. policy_pack picks the pack
// (see Engine). Any other action_type needs approval (action.unknown);
// a missing action_type or target, or an MCP call without server or
// tool, is blocked (request.incomplete).
//
// # Decisions
//
// Evaluate returns a Result: a Verdict (allow, block, require_approval),
// the id of the rule that decided, its reason and severity, and, for
// require_approval, the approver group. Every outcome has a stable rule
// id: those of a pack's rules, or the fixed ids listed as Rule*
// constants, which are the same in every pack.
//
// # Policy JSON
//
// A pack is a JSON object; Parse and Load read it, and Policy.JSON and
// "cavra-runtime policy show NAME" print any pack in this form, so a
// built-in pack is a good starting point for one's own:
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
// # Patterns
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
// # Command lines
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
// # Git pushes
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
// # MCP
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
// The registry JSON is
//
//	{"schema": "cavra.mcp-registry/v1",
//	 "servers": [
//	   {"name": "github", "approval": "approved", "trust_tier": "verified",
//	    "tools": ["get_*", "create_pull_request"], "capabilities": ["repo:read"],
//	    "owner": "platform-team", "notes": "…"}]}
//
// with approval one of approved, pending, denied, revoked.
//
// # Built-in packs
//
// cavra-ai-agent-baseline (the default) blocks reading secrets (.env,
// keys, .ssh, cloud credentials, Terraform state), writing them, .git
// internals, shell start-up files and system directories; asks approval
// for IAM, CI and CODEOWNERS changes and writes outside the working
// directory; blocks terraform apply/destroy, rm -rf, disk and power
// commands, cloud and cluster deletions and package publishing; allows
// read-only terraform, git and file commands, Go, npm, cargo and pytest
// builds and tests, and git pushes to unprotected branches; protects
// main, master, production and prod.
//
// cavra-banking-baseline is stricter: approval to read customer data and
// variable files and to change infrastructure code, migrations and
// dependency manifests; blocks kubectl and helm changes, privilege
// escalation and database clients; every push needs approval; release,
// hotfix, develop and support branches are protected; pushes whose
// branch cannot be told are blocked; MCP servers must be verified.
//
// cavra-mcp-enterprise is the baseline with a closed MCP estate:
// unknown, unapproved or low-tier servers and disallowed tools or
// capabilities are blocked, as are servers run straight from npx, uvx or
// a URL.
package policy
