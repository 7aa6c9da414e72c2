#!/bin/bash
# manpages: the manual pages in man/ are lint-clean (`mandoc -T lint`; a reference to
# another of our pages is checked here instead), and they agree with the programs:
# every option `chainboot --help`, `chainboot CMD --help` (each command the help lists)
# and `chainbootd --help` print is in the matching page, and every option a page
# documents is accepted by the program (given, with a value when the page shows one,
# before --help: the option parser must know it). The help texts are parsed, not copied.
. "$(dirname "$0")/lib.sh"

BUILD=${CHAINBOOT_BUILD:-build}
command -v mandoc >/dev/null || { echo "skip manpages: mandoc not installed"; exit 0; }
for f in "$BUILD/chainboot" "$BUILD/chainbootd"; do
	[ -x "$f" ] || { notok "manpages: $f built"; exit 1; }
done
ours=$(cd man && ls)
for page in man/*.[158]; do
	name=${page##*/}
	out=$(mandoc -T lint "$page" 2>&1 | while read -r line; do
		# "referenced manual not found: Xr chainbootd 8": fine when it is one of ours
		if [[ $line =~ referenced\ manual\ not\ found:\ Xr\ ([^ ]+)\ ([0-9]) ]] &&
			grep -qxF "${BASH_REMATCH[1]}.${BASH_REMATCH[2]}" <<<"$ours"; then
			continue
		fi
		echo "$line"
	done)
	if [ -z "$out" ]; then ok "manpages: mandoc -T lint $name: clean"; else
		notok "manpages: mandoc -T lint $name: clean"
		printf '%s\n' "$out" | head -20 | sed 's/^/#   /'
	fi
	# every .Xr to a page of ours names one that exists
	while read -r xr; do
		grep -qxF "$xr" <<<"$ours" || notok "manpages: $name refers to $xr, which is not in man/"
	done < <(sed -nE 's/^\.Xr (chainboot[^ ]*) ([0-9]).*/\1.\2/p' "$page")
done

cd "$T" || exit 2 # the programs run in a scratch directory
python3 - "$BUILD" "$CHAINBOOT_SRCDIR/man" <<'PY'
import os, re, subprocess, sys
build, mandir = sys.argv[1], sys.argv[2]
prog = {"chainboot": build + "/chainboot", "chainbootd": build + "/chainbootd"}
failed = 0

def check(cond, desc, detail=""):
    global failed
    print(("ok " if cond else "not ok ") + "manpages: " + desc)
    if not cond:
        failed += 1
        for l in detail.splitlines()[:20]:
            print("#   " + l)

def run(args):
    p = subprocess.run(args, capture_output=True, text=True, timeout=20,
                       stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout + p.stderr

# An option in help text: -x or --long-name, standing alone (after a space, comma,
# bracket, bar or parenthesis, or at the start of a line).
OPT = re.compile(r"(?:(?<=^)|(?<=[\s,\[|(]))(--[a-z][a-z0-9-]*|-[A-Za-z])(?![A-Za-z0-9-])", re.M)
# One named after "chainbootd " in chainboot's help is the daemon's: left out here.
def help_opts(text, other=None):
    found = set()
    for m in OPT.finditer(text):
        if other and text[:m.start()].endswith(other + " "):
            continue
        found.add(m.group(1))
    return found

# An option in mdoc: "Fl s" is -s, "Fl -site" is --site. An .It line whose option is
# followed by Ar takes a value. Options are grouped by the command their subsection
# names (the first word of its heading that is a command), else None.
FL = re.compile(r"\bFl\s+(-?[A-Za-z0-9][A-Za-z0-9-]*)")
def man_opts(path, commands):
    opts = {}   # option -> set of (command, takes_value)
    cmd = None
    for line in open(path):
        if line.startswith(".Sh"):
            cmd = None
        if line.startswith(".Ss"):
            words = re.findall(r"[a-z][a-z0-9-]*", line[3:])
            cmd = next((w for w in words if w in commands), None)
        if not line.startswith(".It") or line.startswith(".Sh") or line.startswith(".Ss"):
            continue
        for m in FL.finditer(line):
            o = "-" + m.group(1)
            rest = line[m.end():]
            nxt = rest.split(",")[0]
            opts.setdefault(o, set()).add((cmd, " Ar " in " " + nxt))
    return opts

def accepted(binary, cmd, opt, value):
    args = [binary] + ([cmd] if cmd else []) + [opt] + (["1"] if value else []) + ["--help"]
    rc, out = run(args)
    bad = re.search(r"unrecognized option|invalid option|unknown option|requires an argument", out)
    return not bad, " ".join(args) + "\n" + out

# ---- chainboot(1)
rc, top = run([prog["chainboot"], "--help"])
check(rc == 0, "chainboot --help exits 0")
commands, in_cmds = [], False
for line in top.splitlines():
    if line.strip().lower() == "commands:":
        in_cmds = True
        continue
    if in_cmds:
        m = re.match(r"^  ([a-z][a-z0-9-]+)", line)
        if m:
            commands.append(m.group(1))
        elif not line.strip():
            in_cmds = False
check(len(commands) >= 8, "chainboot --help lists the commands (%s)" % " ".join(commands))
page = mandir + "/chainboot.1"
mopts = man_opts(page, commands)
mtext = open(page).read()
helps = {None: help_opts(top, "chainbootd")}
for c in commands:
    if c == "help":
        continue
    rc, out = run([prog["chainboot"], c, "--help"])
    helps[c] = help_opts(out, "chainbootd")
    # each command is documented under COMMANDS
    check(re.search(r"^\.It Cm %s\b" % re.escape(c), mtext, re.M) is not None,
          "chainboot.1 documents the command %s" % c)
for c, opts in helps.items():
    missing = sorted(o for o in opts if o not in mopts)
    check(not missing, "every option of `chainboot%s --help` is in chainboot.1 (%d)"
          % (" " + c if c else "", len(opts)), "missing: " + " ".join(missing))
for o, uses in sorted(mopts.items()):
    for cmd, value in sorted(uses, key=str):
        good, detail = accepted(prog["chainboot"], cmd, o, value)
        check(good, "chainboot.1's %s%s is accepted by chainboot %s"
              % (o, " VALUE" if value else "", cmd or ""), detail)

# ---- chainbootd(8)
rc, dhelp = run([prog["chainbootd"], "--help"])
check(rc == 0, "chainbootd --help exits 0")
page = mandir + "/chainbootd.8"
mopts = man_opts(page, [])
dopts = help_opts(dhelp)
missing = sorted(o for o in dopts if o not in mopts)
check(not missing, "every option of `chainbootd --help` is in chainbootd.8 (%d)" % len(dopts),
      "missing: " + " ".join(missing))
for o, uses in sorted(mopts.items()):
    for _, value in uses:
        good, detail = accepted(prog["chainbootd"], None, o, value)
        check(good, "chainbootd.8's %s%s is accepted by chainbootd" % (o, " VALUE" if value else ""),
              detail)
# and the other way: nothing in the page that the help does not offer
extra = sorted(o for o in mopts if o not in dopts | {"-h", "--help", "--version"})
check(not extra, "chainbootd.8 documents no option that --help does not list",
      "extra: " + " ".join(extra))

# ---- chainboot-fetch-ipxe(8): a script, same rules
fetch = os.path.join(os.path.dirname(mandir), "scripts", "chainboot-fetch-ipxe")
rc, fhelp = run([fetch, "--help"])
fopts = help_opts(fhelp)
mopts = man_opts(mandir + "/chainboot-fetch-ipxe.8", [])
check(set(mopts) == fopts, "chainboot-fetch-ipxe.8 and --help list the same options",
      "page: %s\nhelp: %s" % (" ".join(sorted(mopts)), " ".join(sorted(fopts))))
sys.exit(1 if failed else 0)
PY
