# Generates testdata/cases/*.json: requests and the decisions expected for
# them. CAVRA-decided expectations come from an oracle of CAVRA's rules
# (Python's re with CAVRA's quoting: fullmatch, '.' not crossing newlines);
# stricter-than-CAVRA expectations are written out by hand.
import json, re, os, sys, collections

# Usage: python3 testdata/cases/generate.py testdata/cases
PACKS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "runtime", "policy", "packs")
OUT = sys.argv[1]

def rx(p): return re.escape(p).replace(r'\*\*', '.*').replace(r'\*', '.*')
def m(p, s): return re.fullmatch(rx(p), s) is not None

def cavra_file(pk, target, write):
    fs = pk.get("filesystem") or {}
    for p in (fs.get("block_write") if write else fs.get("block_read")) or []:
        if m(p, target):
            return ("block", "filesystem.%s.block" % ("write" if write else "read"), "high", "", "Matched sensitive path policy: " + p)
    if write:
        for p in fs.get("require_approval_write") or []:
            if m(p, target):
                return ("require_approval", "filesystem.write.require_approval", "high", "Platform Security", "Matched approval-required path policy: " + p)
    return ("allow", "filesystem.%s.allow" % ("write" if write else "read"), "low", "", "No sensitive path policy matched.")

def cavra_cmd(pk, cmd):
    c = cmd.strip()
    cm = pk.get("commands") or {}
    for p in cm.get("block") or []:
        if m(p, c):
            sev = "critical" if ("apply" in c or "delete" in c) else "high"
            return ("block", "commands.block", sev, "", "Matched blocked command policy: " + p)
    for p in cm.get("allow") or []:
        if m(p, c):
            return ("allow", "commands.allow", "low", "", "Matched allowed command policy: " + p)
    return ("require_approval", "commands.default.require_approval", "medium", "Repository Owners", "No allow rule matched; review required.")

def cavra_mcp(pk, server):
    mc = pk.get("mcp") or {}
    bu = mc.get("block_unknown_servers", True)
    if server in (mc.get("blocked_servers") or []) or (bu and server not in (mc.get("allowed_servers") or [])):
        return ("block", "mcp.server.trust.block_unknown", "high", "", "Untrusted MCP server with filesystem/tool capability is not approved.")
    return ("allow", "mcp.server.trust.allow", "low", "", "MCP server is trusted for this tool call.")

def inst_path(p):
    return p.replace("**", "team/app").replace("*", "x")

def inst_cmd(p):
    s = p
    if s.endswith("*"):
        s = s[:-1] + " --flag"
    return s.replace(" *", " x").replace("*", "x")

def exp(t, **extra):
    d = {"decision": t[0], "rule_id": t[1], "severity": t[2]}
    if t[3]:
        d["approver_group"] = t[3]
    d["reason"] = t[4]
    d.update(extra)
    return d

def case(name, req, expected, **kw):
    c = {"name": name, "request": req}
    c.update(kw)
    c["expected"] = expected
    return c

def pack_cases(pid, pk):
    cs = []
    fs = pk.get("filesystem") or {}
    cm = pk.get("commands") or {}
    base = {"policy_pack": pid}
    def req(**kw):
        r = dict(kw); r["policy_pack"] = pid; return r
    for p in fs.get("block_read") or []:
        t = inst_path(p)
        cs.append(case("read %s" % t, req(action_type="read_file", target=t), exp(cavra_file(pk, t, False), target=t, requested_operation="read")))
    # Spellings a file system resolves to a blocked path (stricter).
    for p in (fs.get("block_read") or [])[:2]:
        t = inst_path(p)
        for v in ("./" + t, "tmp/../" + t):
            want = cavra_file(pk, t, False)
            got = cavra_file(pk, v, False)
            if got[0] != "block":
                cs.append(case("read %s (a spelling of %s)" % (v, t), req(action_type="read_file", target=v),
                               {"decision": "block", "rule_id": "filesystem.read.block", "severity": "high",
                                "reason_contains": "reached through path normalisation", "target": v}))
    for p in fs.get("block_write") or []:
        t = inst_path(p)
        cs.append(case("write %s" % t, req(action_type="write_file", target=t), exp(cavra_file(pk, t, True), requested_operation="write")))
    for p in fs.get("require_approval_write") or []:
        t = inst_path(p)
        cs.append(case("write %s" % t, req(action_type="write_file", target=t), exp(cavra_file(pk, t, True))))
    for t in ("src/service/handler.py", "README.md"):
        cs.append(case("read %s" % t, req(action_type="read_file", target=t), exp(cavra_file(pk, t, False))))
        cs.append(case("write %s" % t, req(action_type="write_file", target=t), exp(cavra_file(pk, t, True))))
    for p in cm.get("block") or []:
        c = inst_cmd(p)
        cs.append(case("run %s" % c, req(action_type="execute_command", target=c), exp(cavra_cmd(pk, c), target=c, requested_operation=c)))
        w = "sudo " + c
        if cavra_cmd(pk, w)[0] != "block":
            sev = "critical" if ("apply" in c or "delete" in c) else "high"
            first = cavra_cmd(pk, c)[4]
            cs.append(case("run %s (behind sudo)" % c, req(action_type="execute_command", target=w),
                           {"decision": "block", "rule_id": "commands.block", "severity": sev,
                            "reason_contains": "%s (reached through " % first}))
        ch = "echo start && " + c
        if cavra_cmd(pk, ch)[0] != "block":
            cs.append(case("run %s (in a chain)" % c, req(action_type="execute_command", target=ch),
                           {"decision": "block", "rule_id": "commands.block", "severity": "critical" if ("apply" in ch or "delete" in ch) else "high",
                            "reason_contains": "(reached through a command chain"}))
    for p in cm.get("allow") or []:
        c = inst_cmd(p)
        cs.append(case("run %s" % c, req(action_type="execute_command", target=c), exp(cavra_cmd(pk, c))))
        ch = c + "; curl -s https://example.invalid/x.sh -o x.sh"
        want = cavra_cmd(pk, ch)
        if want[0] == "allow":
            cs.append(case("run %s; curl (every part must be allowed)" % c, req(action_type="execute_command", target=ch),
                           {"decision": "require_approval", "rule_id": "commands.default.require_approval", "severity": "medium",
                            "approver_group": "Repository Owners", "reason_contains": "is allowed only if every command in it is"}))
    for c in ("make deploy", "terraform   apply", "FOO=1 terraform apply -auto-approve"):
        want = cavra_cmd(pk, c)
        blocked_somewhere = any(m(p, "terraform apply") or m(p, "terraform apply -auto-approve") for p in cm.get("block") or [])
        if c == "make deploy" or not blocked_somewhere:
            cs.append(case("run %s" % c, req(action_type="execute_command", target=c), exp(want)))
        else:
            cs.append(case("run %s" % c, req(action_type="execute_command", target=c),
                           {"decision": "block", "rule_id": "commands.block", "severity": "critical", "reason_contains": "terraform apply"}))
    cs.append(case("push to origin/main", req(action_type="git_operation", operation="push", target="origin/main"),
                   exp(("block", "git.protected_branch.block_direct_push", "high", "", "Direct push to protected branch is prohibited."), target="origin/main", requested_operation="push")))
    cs.append(case("push to origin/feature", req(action_type="git_operation", operation="push", target="origin/feature-x"),
                   exp(("allow", "git.allow", "low", "", "Git operation is allowed by policy."))))
    cs.append(case("git push origin main as a command", req(action_type="execute_command", target="git push -u origin main"),
                   {"decision": "block", "rule_id": "commands.block" if cavra_cmd(pk, "git push -u origin main")[0] == "block" else "git.protected_branch.block_direct_push",
                    "severity": "high"}))
    mc = pk.get("mcp") or {}
    for s in (mc.get("allowed_servers") or [])[:2] + (mc.get("blocked_servers") or [])[:1] + ["unknown-filesystem"]:
        cs.append(case("mcp %s" % s, req(action_type="mcp_tool_call", server=s, tool="read_file", capability="filesystem"),
                       exp(cavra_mcp(pk, s), target=s + ":read_file", requested_operation="filesystem")))
    cs.append(case("unknown action", req(session_id="s-" + pid, action_type="deploy_service", target="prod"),
                   exp(("require_approval", "runtime.default.require_approval", "medium", "Repository Owners", "Unknown action type; review required."),
                       evidence_ref_prefix="evidence://s-%s/dec_" % pid)))
    return cs

os.makedirs(OUT, exist_ok=True)
for f in sorted(os.listdir(PACKS)):
    if not (f.startswith("cavra-") and f.endswith(".json")): continue  # the CAVRA packs; hardened-* are native
    pid = f[:-5]
    pk = json.load(open(os.path.join(PACKS, f)), object_pairs_hook=collections.OrderedDict)
    cs, seen = [], set()
    for c in pack_cases(pid, pk):
        if c["name"] not in seen:
            seen.add(c["name"]); cs.append(c)
    open(os.path.join(OUT, pid + ".json"), "w").write(json.dumps(cs, indent=2, ensure_ascii=False) + "\n")
    print(pid, len(cs))

# ---- Cases beyond the packs' own lists. ----
def write(name, cs):
    open(os.path.join(OUT, name), "w").write(json.dumps(cs, indent=2, ensure_ascii=False) + "\n")
    print(name, len(cs))

G = "Release Governance"
def rg(name, record, decision, rule, sev, group="", reason=None, typed=False, **req):
    r = {"action_type": "release_governance_record"}
    r.update(req)
    r["release_governance" if typed else "record"] = record
    e = {"decision": decision, "rule_id": rule, "severity": sev}
    if group: e["approver_group"] = group
    if reason: e["reason"] = reason
    return case(name, r, e)
write("release-governance.json", [
    case("no payload", {"action_type": "release_governance_record", "requested_operation": "promote"},
         {"decision": "require_approval", "rule_id": "release_governance.record.missing", "severity": "medium", "approver_group": G,
          "reason": "Release governance record payload is missing.", "target": "release-governance-record", "requested_operation": "verify"}),
    rg("empty record", {}, "require_approval", "release_governance.record.missing", "medium", G),
    rg("approved without id", {"metadata_kind": "rollout-promotion-execution", "approval_state": "approved"}, "block",
       "release_governance.approval.missing", "critical", G, "rollout-promotion-execution is approved but does not include an approval_id."),
    rg("approved, state in other case and padded", {"metadata_kind": "k", "approval_state": " APPROVED ", "approval_id": "apr_1"}, "allow",
       "release_governance.approval.approved", "low", "", "k is backed by an approved release governance approval."),
    rg("nested approval", {"metadata_kind": "k", "approval": {"state": "approved", "approval_id": "apr_1"}}, "allow", "release_governance.approval.approved", "low"),
    rg("pending", {"metadata_kind": "k", "approval_state": "Pending"}, "require_approval", "release_governance.approval.pending", "high", G),
    rg("expired", {"metadata_kind": "k", "approval_state": "expired"}, "block", "release_governance.approval.denied", "critical", G,
       "k is bound to a non-approved approval state: expired."),
    rg("rejected", {"metadata_kind": "k", "approval_state": "rejected"}, "block", "release_governance.approval.denied", "critical", G),
    rg("cancelled", {"metadata_kind": "k", "approval_state": "cancelled"}, "block", "release_governance.approval.denied", "critical", G),
    rg("unknown state", {"metadata_kind": "k", "approval_state": "on-hold"}, "require_approval", "release_governance.approval.unknown", "medium", G,
       "k has an unknown approval state: on_hold."),
    rg("state given as a number", {"metadata_kind": "k", "approval_state": 5}, "require_approval", "release_governance.approval.unknown", "medium", G,
       "k has an unknown approval state: 5."),
    rg("publication delivery without success", {"metadata_kind": "endpoint-management-publication-delivery"}, "block",
       "release_governance.delivery.failed", "high", G, "endpoint-management-publication-delivery includes failed release delivery evidence."),
    rg("connector delivery succeeded", {"metadata_kind": "release-connector-delivery", "delivery_success": "Succeeded"}, "allow",
       "release_governance.record.verified", "low"),
    rg("delivery failure wins over signals", {"metadata_kind": "release-connector-delivery", "delivery_success": False, "alert_level": "critical"},
       "block", "release_governance.delivery.failed", "high", G),
    rg("drift non-compliant", {"metadata_kind": "x", "drift_status": "Non-Compliant"}, "require_approval", "release_governance.signal.critical", "high", G,
       "x contains critical release governance signals."),
    # CAVRA's Python RuntimeGuard (src/cavra/runtime.py @73b0788) reads drift_detected as critical; its Go runtime does not.
    rg("drift_detected is critical, as in CAVRA's Python runtime", {"metadata_kind": "x", "drift_status": "drift_detected"}, "require_approval",
       "release_governance.signal.critical", "high", G, "x contains critical release governance signals."),
    rg("typed drift_detected", {"metadata_kind": "x", "drift_status": "Drift-Detected"}, "require_approval",
       "release_governance.signal.critical", "high", G, typed=True),
    rg("handoff failed", {"metadata_kind": "x", "handoff_status": "failed"}, "require_approval", "release_governance.signal.critical", "high", G),
    rg("verification mismatch", {"metadata_kind": "x", "verification_status": "mismatch"}, "require_approval", "release_governance.signal.critical", "high", G),
    rg("integrity tampered", {"metadata_kind": "x", "integrity_status": "tampered"}, "require_approval", "release_governance.signal.critical", "high", G),
    rg("audit export blocked", {"metadata_kind": "x", "audit_export_status": "blocked"}, "require_approval", "release_governance.signal.critical", "high", G),
    rg("breached count", {"metadata_kind": "x", "breached_count": 1}, "require_approval", "release_governance.signal.critical", "high", G),
    rg("integrity failure count", {"metadata_kind": "x", "integrity_failure_count": 2}, "require_approval", "release_governance.signal.critical", "high", G),
    rg("fractional count truncates to 0", {"metadata_kind": "x", "connector_delivery_failure_count": 0.5}, "allow", "release_governance.approval.not_required", "low"),
    rg("count as a string is no count", {"metadata_kind": "x", "critical_count": "3"}, "allow", "release_governance.approval.not_required", "low"),
    rg("counts that decide nothing", {"metadata_kind": "x", "drifted_endpoint_count": 9, "missing_target_count": 3}, "allow",
       "release_governance.approval.not_required", "low"),
    rg("execution kind without approval", {"metadata_kind": "endpoint-drift-remediation-execution"}, "block", "release_governance.approval.missing", "critical", G,
       "endpoint-drift-remediation-execution requires an approval record before execution."),
    rg("request kind without approval", {"metadata_kind": "endpoint-reconciliation-automation"}, "require_approval", "release_governance.approval.required", "high", G,
       "endpoint-reconciliation-automation requires an approval record before execution."),
    rg("approval count", {"metadata_kind": "x", "approval_required_count": 2}, "require_approval", "release_governance.approval.required", "high", G),
    rg("known kind", {"metadata_kind": "endpoint-remediation-sla-escalation-recurrence-automation-health-alert-ack"}, "allow",
       "release_governance.record.verified", "low", "",
       "endpoint-remediation-sla-escalation-recurrence-automation-health-alert-ack is recognized release governance evidence with no blocking signal."),
    rg("kind from the target", {"x": 1}, "block", "release_governance.approval.missing", "critical", G, target="rollout-rollback-execution"),
    rg("typed approved rollback", {"metadata_kind": "rollout-rollback-execution", "approval_state": "approved", "approval_id": "apr_9"},
       "allow", "release_governance.approval.approved", "low", typed=True),
    rg("typed delivery success", {"metadata_kind": "release-connector-delivery", "delivery_success": True}, "allow", "release_governance.record.verified", "low", typed=True),
    case("typed payload without action type", {"release_governance": {"metadata_kind": "rollout-promotion-execution"}},
         {"decision": "block", "rule_id": "release_governance.approval.missing", "severity": "critical", "approver_group": G,
          "action_type": "release_governance_record", "target": "rollout-promotion-execution", "requested_operation": "verify"}),
    case("empty typed payload without action type", {"release_governance": {}},
         {"decision": "require_approval", "rule_id": "runtime.default.require_approval", "severity": "medium", "approver_group": "Repository Owners"}),
    case("typed payload drops operation", {"action_type": "release_governance_record", "operation": "promote",
         "release_governance": {"metadata_kind": "k"}},
         {"decision": "allow", "rule_id": "release_governance.approval.not_required", "severity": "low", "requested_operation": "verify"}),
])

NB = "hardened-agent-baseline"
def nat(pack, name, req, decision, rule, sev=None, group=None):
    r = dict(req); r["policy_pack"] = pack
    e = {"decision": decision, "rule_id": rule}
    if sev: e["severity"] = sev
    if group is not None:
        if group: e["approver_group"] = group
    return case(name, r, e)
def rd(t): return {"action_type": "read_file", "target": t}
def wr(t): return {"action_type": "write_file", "target": t}
def cmd(t): return {"action_type": "execute_command", "target": t}
def gitop(op, t=""): return {"action_type": "git_operation", "operation": op, "target": t}
PS, CAB = "platform-security", "change-advisory-board"
write("hardened-agent-baseline.json", [
    nat(NB, "read .env", rd(".env"), "block", "read.secrets.dotenv", "critical", ""),
    nat(NB, "read .env through a file URL", rd("file:///home/me/%2Eenv"), "block", "read.secrets.dotenv", "critical", ""),
    nat(NB, "read a key in upper case", rd("deploy/KEY.PEM"), "block", "read.secrets.private_key", "critical", ""),
    nat(NB, "read ssh config", rd("/home/me/.ssh/config"), "block", "read.secrets.ssh", "critical", ""),
    nat(NB, "read source", rd("src/main.go"), "allow", "read.default", "info", ""),
    nat(NB, "write iam", wr("iam/role.json"), "require_approval", "write.iam", "high", PS),
    nat(NB, "write git internals", wr("sub\\.GIT\\config"), "block", "write.git_internals", "critical", ""),
    nat(NB, "write source", wr("src/app.go"), "allow", "write.default", "info", ""),
    nat(NB, "terraform plan", cmd("terraform plan -out=tf.plan"), "allow", "command.terraform.readonly", "info", ""),
    nat(NB, "rm -rf", cmd("rm -rf /tmp/important"), "block", "command.rm_recursive_force", "critical", ""),
    nat(NB, "curl", cmd("curl https://example.invalid"), "require_approval", "command.network.fetch", "medium", PS),
    nat(NB, "cat .env", cmd("cat ./config/../.env"), "block", "read.secrets.dotenv", "critical", ""),
    nat(NB, "unlisted", cmd("make deploy"), "require_approval", "command.unlisted", "medium", PS),
    nat(NB, "opaque", cmd("terraform plan \"$X\""), "require_approval", "command.opaque", "high", PS),
    nat(NB, "push main", gitop("push origin main"), "block", "git.protected_branch", "critical", ""),
    nat(NB, "force push", gitop("push --force origin feature/x"), "block", "git.force_push", "high", ""),
    nat(NB, "mcp without registry", {"action_type": "mcp_tool_call", "server": "github", "tool": "get_issue"}, "require_approval", "mcp.server_unknown", "medium", PS),
    nat(NB, "mcp shell server", {"action_type": "mcp_tool_call", "server": "mcp-server-shell", "tool": "run"}, "block", "mcp.server.shell", "critical", ""),
    nat(NB, "no action", {"target": "a.go"}, "block", "request.incomplete", "medium", ""),
    nat(NB, "unknown action", {"action_type": "delete_database", "target": "prod"}, "require_approval", "action.unknown", "medium", PS),
])
HB = "hardened-banking-baseline"
write("hardened-banking-baseline.json", [
    nat(HB, "read customer data", rd("exports/customers/q1.csv"), "require_approval", "read.customer_data", "high", "data-protection-office"),
    nat(HB, "write go.mod", wr("go.mod"), "require_approval", "write.dependencies", "medium", CAB),
    nat(HB, "kubectl apply", cmd("kubectl apply -f x.yaml"), "block", "command.kubectl.change", "critical", ""),
    nat(HB, "sudo", cmd("sudo ls"), "block", "command.privileged", "critical", ""),
    nat(HB, "psql", cmd("psql -h db"), "block", "command.database.client", "high", ""),
    nat(HB, "push release branch", gitop("push origin release/2.1"), "block", "git.protected_branch", "critical", ""),
    nat(HB, "push feature", gitop("push origin feature/x"), "require_approval", "command.git.push", "medium", CAB),
    nat(HB, "push with unknown ref", gitop("push origin"), "block", "git.push_unknown_ref", "high", ""),
])
HM = "hardened-mcp-enterprise"
write("hardened-mcp-enterprise.json", [
    nat(HM, "unknown server", {"action_type": "mcp_tool_call", "server": "github", "tool": "x"}, "block", "mcp.server_unknown", "high", ""),
    nat(HM, "server from npx", {"action_type": "mcp_tool_call", "server": "npx:@evil/server", "tool": "x"}, "block", "mcp.server.unvetted_source", "high", ""),
    nat(HM, "iam write", wr("iam/role.json"), "require_approval", "write.iam", "high", "mcp-governance"),
    nat(HM, "terraform apply", cmd("terraform apply"), "block", "command.terraform.apply", "critical", ""),
])

REG = "../cavra/mcp_registry.json"
def mcpc(name, pack, server, tool, cap, decision, rule, sev, group=""):
    r = {"action_type": "mcp_tool_call", "server": server, "tool": tool}
    if cap: r["capability"] = cap
    if pack: r["policy_pack"] = pack
    e = {"decision": decision, "rule_id": rule, "severity": sev, "target": server + ":" + tool}
    if group: e["approver_group"] = group
    return case(name, r, e, registry=REG)
AG = "AI Governance"
write("registry.json", [
    mcpc("approved server, scoped tool", "cavra-ai-agent-baseline", "github-mcp", "create_pull_request", "repository", "allow", "mcp.registry.allow", "low"),
    mcpc("approved server, no capability sent", "cavra-hipaa", "github-mcp", "create_pull_request", "", "allow", "mcp.registry.allow", "low"),
    mcpc("capability out of scope", "cavra-pci-dss", "github-mcp", "create_pull_request", "admin", "require_approval", "mcp.registry.capability_scope", "medium", AG),
    mcpc("tool out of scope", "", "github-mcp", "delete_repository", "repository", "require_approval", "mcp.registry.tool_scope", "medium", AG),
    mcpc("experimental and pending", "cavra-mcp-enterprise", "filesystem-lab", "read_file", "filesystem", "require_approval", "mcp.registry.requires_approval", "medium", AG),
    mcpc("blocked and denied", "cavra-owasp-llm-agentic", "personal-drive-mcp", "read_file", "filesystem", "block", "mcp.registry.blocked", "high"),
    mcpc("not registered, though the pack allows it", "cavra-mcp-enterprise", "github-enterprise", "read_file", "", "block", "mcp.registry.unknown", "high"),
    mcpc("server names are exact", "", "GitHub-MCP", "create_pull_request", "", "block", "mcp.registry.unknown", "high"),
    mcpc("native pack reads the registry its way", "hardened-agent-baseline", "github-mcp", "create_pull_request", "repository", "allow", "mcp.allowed", "info"),
])

POL = "../cavra/compiled_policy.json"
def polc(name, req, decision, rule, sev, group="", **extra):
    e = {"decision": decision, "rule_id": rule, "severity": sev}
    if group: e["approver_group"] = group
    e.update(extra)
    return case(name, req, e, policy=POL)
F = "cavra-go-compiled-fixture"
write("compiled-policy.json", [
    polc("blocked read", rd("keys/a.secret"), "block", "filesystem.read.block", "high", policy_pack=F, reason="Matched sensitive path policy: **/*.secret"),
    polc("a baseline secret is not in this policy", rd(".env"), "allow", "filesystem.read.allow", "low"),
    polc("blocked write", wr("protected/x"), "block", "filesystem.write.block", "high"),
    polc("approval write", wr("iam/x"), "require_approval", "filesystem.write.require_approval", "high", "Platform Security"),
    polc("blocked command", cmd("dangerous mutate --all"), "block", "commands.block", "high"),
    polc("allowed command", cmd("custom scan ."), "allow", "commands.allow", "low"),
    polc("allowed command chained to a blocked one", cmd("custom scan . && dangerous mutate"), "block", "commands.block", "high", reason_contains="a command chain"),
    polc("baseline command is not in this policy", cmd("terraform plan"), "require_approval", "commands.default.require_approval", "medium", "Repository Owners"),
    polc("allowed server", {"action_type": "mcp_tool_call", "server": "github-enterprise", "tool": "t"}, "allow", "mcp.server.trust.allow", "low"),
    polc("blocked server", {"action_type": "mcp_tool_call", "server": "personal-drive-mcp", "tool": "t"}, "block", "mcp.server.trust.block_unknown", "high"),
    polc("unknown server", {"action_type": "mcp_tool_call", "server": "other", "tool": "t"}, "block", "mcp.server.trust.block_unknown", "high"),
    polc("the request's pack is a label", dict(rd(".env"), policy_pack="cavra-banking-baseline"), "allow", "filesystem.read.allow", "low",
         policy_pack="cavra-banking-baseline"),
    polc("an unknown pack is a label too", dict(rd("a"), policy_pack="no-such-pack"), "allow", "filesystem.read.allow", "low", policy_pack="no-such-pack"),
])

def bad(name, text, rule="input.invalid", reason_contains=None):
    e = {"decision": "block", "rule_id": rule, "severity": "high"}
    if reason_contains: e["reason_contains"] = reason_contains
    return {"name": name, "request_text": text, "expected": e}
write("input.json", [
    bad("repeated member", '{"action_type":"read_file","target":"a.go","target":".env"}', reason_contains='duplicate key "target"'),
    bad("repeated member in another spelling", '{"action_type":"read_file","ACTION_TYPE":"execute_command","target":"x"}', reason_contains='duplicate key "ACTION_TYPE" (as "action_type"'),
    bad("wrong type", '{"action_type":"read_file","target":7}', reason_contains='member "target": is a JSON number, want a string'),
    bad("null", '{"action_type":"read_file","target":null}', reason_contains="JSON null"),
    bad("NUL character", '{"action_type":"read_file","target":".env\\u0000.txt"}', reason_contains="NUL character"),
    bad("both payloads", '{"action_type":"release_governance_record","record":{"metadata_kind":"k"},"release_governance":{"metadata_kind":"k"}}',
        reason_contains='both "record" and "release_governance"'),
    bad("typed count not an integer", '{"release_governance":{"blocked_count":1.5}}', reason_contains="want an integer"),
    bad("record not an object", '{"action_type":"release_governance_record","record":[1]}', reason_contains="want an object"),
    bad("repeated record key", '{"action_type":"release_governance_record","record":{"approval_state":"approved","approval_state":"denied"}}',
        reason_contains='member "record": duplicate key "approval_state"'),
    bad("runner_auth of the wrong type", '{"action_type":"read_file","target":"a","runner_auth":"x"}', reason_contains="want an object"),
    bad("not an object", '["read_file",".env"]', reason_contains="JSON array, want an object"),
    bad("cut off", '{"action_type":"read_file","target":', reason_contains="bad JSON"),
    {"name": "unknown members are ignored", "request_text": '{"action_type":"read_file","target":"a.go","extra":{"deep":[1,{"x":null}]}}',
     "expected": {"decision": "allow", "rule_id": "filesystem.read.allow", "severity": "low"}},
    {"name": "members match in any case, as in encoding/json", "request_text": '{"Action_Type":"read_file","TARGET":".env"}',
     "expected": {"decision": "block", "rule_id": "filesystem.read.block", "severity": "high"}},
    {"name": "unknown pack is refused", "request_text": '{"action_type":"read_file","target":"a.go","policy_pack":"cavra-ai-agent-baselin"}',
     "expected": {"decision": "block", "rule_id": "policy.unknown_pack", "severity": "high", "policy_pack": "cavra-ai-agent-baselin"}},
])
