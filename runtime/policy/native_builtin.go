package policy

import "slices"

func r(id string, sev Severity, reason string, pats ...string) Rule {
	return Rule{ID: id, Severity: sev, Reason: reason, Patterns: pats}
}

func ra(id string, sev Severity, approver, reason string, pats ...string) Rule {
	return Rule{ID: id, Severity: sev, Reason: reason, ApproverGroup: approver, Patterns: pats}
}

// Path rules shared by the packs.
var (
	secretReads = []Rule{
		r("read.secrets.dotenv", Critical, "environment files hold credentials",
			"**/.env", "**/.env.*", "**/*.env"),
		r("read.secrets.private_key", Critical, "private keys and key stores must not be read by agents",
			"**/*.pem", "**/*.key", "**/*.p12", "**/*.pfx", "**/*.jks", "**/*.keystore", "**/*.ppk",
			"**/id_rsa*", "**/id_dsa*", "**/id_ecdsa*", "**/id_ed25519*"),
		r("read.secrets.ssh", Critical, "SSH configuration and keys", "**/.ssh/**"),
		r("read.secrets.credentials", Critical, "cloud, registry and package credentials",
			"**/.aws/credentials", "**/.aws/config", "**/.config/gcloud/**", "**/.azure/**",
			"**/.kube/config", "**/.docker/config.json", "**/.netrc", "**/_netrc", "**/.npmrc",
			"**/.pypirc", "**/.git-credentials", "**/.gnupg/**", "**/.vault-token",
			"**/credentials.json", "**/service-account*.json"),
		r("read.secrets.terraform_state", High, "Terraform state holds secrets in plain text",
			"**/*.tfstate", "**/*.tfstate.*"),
		r("read.system.secrets", Critical, "system credential stores",
			"**/etc/shadow", "**/etc/gshadow", "**/etc/sudoers", "**/etc/sudoers.d/**"),
	}
	secretWrites = []Rule{
		r("write.secrets", Critical, "agents must not create or change credentials or keys",
			"**/.env", "**/.env.*", "**/*.pem", "**/*.key", "**/*.p12", "**/*.pfx",
			"**/id_rsa*", "**/id_ed25519*", "**/.ssh/**", "**/.aws/**", "**/.kube/config",
			"**/.netrc", "**/.git-credentials", "**/.gnupg/**"),
		r("write.git_internals", Critical, "writing inside .git can plant hooks that run code", "**/.git/**"),
		r("write.shell_startup", High, "shell start-up files run code in every new shell",
			"**/.bashrc", "**/.bash_profile", "**/.profile", "**/.zshrc", "**/.zprofile"),
		r("write.system", Critical, "system directories are outside an agent's remit",
			"/etc/**", "/usr/**", "/bin/**", "/sbin/**", "/boot/**", "/System/**", "c:/windows/**"),
	}
	approvalWrites = []Rule{
		ra("write.iam", High, "", "identity and access policy changes need a security review",
			"**/iam/**", "**/*iam*.json", "**/*iam*.tf", "**/*iam*.yaml", "**/*iam*.yml"),
		ra("write.ci", High, "", "CI pipelines run with repository secrets",
			"**/.github/workflows/**", "**/.gitlab-ci.yml", "**/Jenkinsfile", "**/.circleci/**",
			"**/azure-pipelines.yml", "**/.buildkite/**"),
		ra("write.codeowners", Medium, "", "ownership rules decide who must review changes",
			"**/CODEOWNERS", "**/.github/CODEOWNERS"),
		ra("write.outside_workspace", Medium, "", "the path leaves the working directory", "../**"),
	}
)

// Command rules shared by the packs. Block and approval patterns match
// anywhere in a command and ignore case; allowed patterns match whole
// simple commands from the program name, as written.
var (
	blockedCommands = []Rule{
		r("command.terraform.apply", Critical, "terraform apply and destroy change live infrastructure",
			"terraform ** apply", "terraform ** destroy", "terraform ** state rm", "terraform ** state push",
			"terraform ** force-unlock", "terraform ** import", "tofu ** apply", "tofu ** destroy"),
		r("command.rm_recursive_force", Critical, "recursive forced deletion",
			"rm ** -*r*f*", "rm ** -*f*r*", "rm ** -*r* ** -*f*", "rm ** -*f* ** -*r*", "rm ** --no-preserve-root"),
		r("command.disk", Critical, "writing to disks and file systems directly",
			"mkfs*", "dd ** of=/dev/*", "wipefs", "fdisk", "shred"),
		r("command.power", High, "stopping or restarting the machine", "shutdown", "reboot", "halt", "poweroff"),
		r("command.kubectl.delete", High, "deleting cluster resources", "kubectl ** delete"),
		r("command.cloud.delete", High, "deleting cloud resources",
			"aws ** delete-*", "aws ** s3 rm", "aws ** s3 rb", "gcloud ** delete", "az ** delete"),
		r("command.publish", High, "publishing packages is a release step, not an agent step",
			"npm ** publish", "cargo ** publish", "twine ** upload", "gem ** push"),
		r("command.permissions.world_writable", High, "making files writable by everyone", "chmod ** 777", "chmod ** -R ** 777", "chmod ** a+w"),
	}
	approvalCommands = []Rule{
		ra("command.privileged", High, "", "running commands as another user", "sudo", "doas", "su"),
		ra("command.kubectl.change", High, "", "changing cluster resources", "kubectl ** apply", "kubectl ** patch",
			"kubectl ** scale", "kubectl ** edit", "kubectl ** rollout", "helm ** install", "helm ** upgrade", "helm ** uninstall"),
		ra("command.terraform.init", Medium, "", "terraform init downloads providers and modules", "terraform ** init"),
		ra("command.container.push", High, "", "pushing images publishes code", "docker ** push", "podman ** push"),
		ra("command.network.fetch", Medium, "", "downloads run or bring in code from outside", "curl", "wget"),
	}
	allowedBase = []Rule{
		r("command.terraform.readonly", Info, "terraform commands that do not change infrastructure",
			"terraform plan", "terraform plan **", "terraform validate", "terraform validate **",
			"terraform fmt -check **", "terraform show **", "terraform version", "terraform output **"),
		r("command.git.readonly", Info, "git commands that only read the repository",
			"git status", "git status **", "git diff", "git diff **", "git log", "git log **",
			"git show **", "git rev-parse **", "git branch", "git branch --show-current", "git branch --list **",
			"git remote -v", "git ls-files **", "git blame **"),
		r("command.files.readonly", Info, "commands that read files (blocked paths are checked separately)",
			"ls", "ls **", "pwd", "cat **", "head **", "tail **", "wc **", "grep **", "rg **", "tree **", "stat **"),
		r("command.go.build_test", Info, "building and testing Go code",
			"go build **", "go test **", "go vet **", "gofmt -l **", "go version", "go env **"),
	}
	allowedBaseline = slices.Concat(allowedBase, []Rule{
		r("command.git.work", Low, "git commands that record work on a branch (pushes are checked separately)",
			"git add **", "git commit **", "git switch **", "git checkout -b *", "git fetch **", "git fetch",
			"git push **", "git stash **"),
		r("command.build_test", Info, "common build and test commands",
			"npm test", "npm test **", "npm run lint", "npm run test", "npm ci", "make test", "make lint",
			"pytest", "pytest **", "cargo build **", "cargo test **", "cargo build", "cargo test", "echo **"),
	})
)

func baselinePack() *Native {
	return &Native{
		Schema:        Schema,
		Name:          Baseline,
		Description:   "Hardened baseline for AI coding agents (native rules, opt-in): secrets stay unread, infrastructure stays unchanged without review, protected branches stay protected.",
		ApproverGroup: "platform-security",
		Reads:         FileRules{Blocked: secretReads},
		Writes:        FileRules{Blocked: secretWrites, Approval: approvalWrites},
		Commands:      CommandRules{Blocked: blockedCommands, Approval: approvalCommands, Allowed: allowedBaseline},
		Git: GitRules{
			ProtectedBranches: []Rule{r("git.protected_branch", Critical, "protected branches change only through reviewed merges",
				"main", "master", "production", "prod")},
			ForcePush:  Block,
			UnknownRef: RequireApproval,
		},
		MCP: MCPRules{
			BlockedServers: []Rule{r("mcp.server.shell", Critical, "MCP servers that run arbitrary shell commands bypass the command policy",
				"shell", "*-shell", "shell-*", "mcp-server-shell", "terminal", "code-runner", "**/shell", "**/*-shell", "**/terminal")},
			MinTrustTier:         Community,
			UnknownServer:        RequireApproval,
			UnapprovedServer:     RequireApproval,
			LowTrustTier:         RequireApproval,
			ToolNotAllowed:       Block,
			CapabilityNotAllowed: RequireApproval,
		},
	}
}

func bankingPack() *Native {
	pk := baselinePack()
	pk.Name = Banking
	pk.Description = "Hardened banking baseline (native rules, opt-in): the agent baseline plus change control on infrastructure, data, dependencies and every protected or release branch."
	pk.ApproverGroup = "change-advisory-board"
	pk.Reads.Approval = []Rule{
		ra("read.customer_data", High, "data-protection-office", "customer and personal data needs a data-protection review",
			"**/pii/**", "**/customer-data/**", "**/customers/**", "**/*.sql.gz", "**/*.dump"),
		ra("read.terraform_vars", High, "", "variable files often carry credentials", "**/*.tfvars", "**/*.tfvars.json"),
	}
	pk.Writes.Blocked = slices.Concat(secretWrites, []Rule{
		r("write.terraform_state", Critical, "Terraform state is managed by the pipeline only", "**/*.tfstate", "**/*.tfstate.*"),
	})
	pk.Writes.Approval = slices.Concat(approvalWrites, []Rule{
		ra("write.infrastructure", High, "", "infrastructure code changes go through change control",
			"**/*.tf", "**/*.tfvars", "**/k8s/**", "**/kubernetes/**", "**/helm/**", "**/charts/**", "**/Dockerfile", "**/*.dockerfile"),
		ra("write.database_migration", High, "", "schema migrations change production data",
			"**/migrations/**", "**/migrate/**", "**/*.sql"),
		ra("write.dependencies", Medium, "", "dependency changes need a supply-chain review",
			"**/go.mod", "**/go.sum", "**/package.json", "**/package-lock.json", "**/requirements*.txt",
			"**/pom.xml", "**/build.gradle", "**/Cargo.toml", "**/Gemfile"),
	})
	pk.Commands.Blocked = slices.Concat(blockedCommands, []Rule{
		r("command.kubectl.change", Critical, "production clusters change only through the release pipeline",
			"kubectl ** apply", "kubectl ** patch", "kubectl ** edit", "kubectl ** scale", "kubectl ** exec",
			"helm ** install", "helm ** upgrade", "helm ** uninstall"),
		r("command.privileged", Critical, "no privilege escalation on banking systems", "sudo", "doas", "su", "pkexec"),
		r("command.database.client", High, "direct database sessions bypass change control", "psql", "mysql", "sqlplus", "mongosh", "redis-cli"),
	})
	pk.Commands.Approval = []Rule{
		ra("command.terraform.init", Medium, "", "terraform init downloads providers and modules", "terraform ** init"),
		ra("command.container.push", High, "", "pushing images publishes code", "docker ** push", "podman ** push"),
		ra("command.network.fetch", High, "", "downloads run or bring in code from outside", "curl", "wget"),
		ra("command.git.push", Medium, "", "every push from an agent is reviewed", "git ** push"),
	}
	pk.Commands.Allowed = allowedBase
	pk.Git = GitRules{
		ProtectedBranches: []Rule{r("git.protected_branch", Critical, "protected and release branches change only through reviewed merges",
			"main", "master", "production", "prod", "prod-*", "develop", "release", "release/**", "release-*",
			"releases/**", "hotfix/**", "hotfix-*", "support/**")},
		ForcePush:     Block,
		UnknownRef:    Block,
		ApproverGroup: "change-advisory-board",
	}
	pk.MCP.MinTrustTier = Verified
	pk.MCP.CapabilityNotAllowed = Block
	return pk
}

func mcpEnterprisePack() *Native {
	pk := baselinePack()
	pk.Name = MCPEnterprise
	pk.Description = "Hardened MCP enterprise (native rules, opt-in): the agent baseline with a closed MCP estate; only registry-approved, verified servers, tools and capabilities run."
	pk.ApproverGroup = "mcp-governance"
	pk.MCP = MCPRules{
		BlockedServers: []Rule{
			r("mcp.server.shell", Critical, "MCP servers that run arbitrary shell commands bypass the command policy",
				"shell", "*-shell", "shell-*", "mcp-server-shell", "terminal", "code-runner", "**/shell", "**/*-shell", "**/terminal"),
			r("mcp.server.unvetted_source", High, "servers run straight from a package registry or URL are not vetted builds",
				"npx:*/**", "uvx:*/**", "http:/**", "https:/**"),
		},
		MinTrustTier:         Verified,
		UnknownServer:        Block,
		UnapprovedServer:     Block,
		LowTrustTier:         Block,
		ToolNotAllowed:       Block,
		CapabilityNotAllowed: Block,
		ApproverGroup:        "mcp-governance",
	}
	return pk
}
