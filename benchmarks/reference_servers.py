"""Dovecot and Postfix as reference servers for the benchmarks, on loopback only.

Each server runs from a throw-away folder (configuration, data, logs, runtime
sockets) on free 127.0.0.1 ports, in the foreground as a child of the
benchmark, so that its CPU time can be read from /proc and it is stopped with
the benchmark. Nothing in /etc is read or changed; the system's own Dovecot
or Postfix (if any were running) is not touched. This needs root (both
servers switch users for their processes), as on the project's machines.

* :func:`start_dovecot`: ``dovecot -F -c <dir>/dovecot.conf`` with POP3 and
  IMAP, ``ssl = no``, cleartext logins allowed, users from a passwd-file
  (``alice``/``alice``, ``bob``/``bob`` as in MailSim's world), Maildir
  under the folder, mail files owned by ``nobody``. Dovecot 2.3 and 2.4
  syntax (2.4 changed many setting names); the written configuration is
  checked with ``doveconf -n -c`` before the server starts.
* :func:`start_postfix`: ``postfix -c <dir> start-fg`` with its own
  ``main.cf``/``master.cf``, queue and data directories in the folder, SMTP on
  one loopback port, the domain ``example.org`` delivered by ``virtual(8)``
  into Maildirs under the folder (no system users, no aliases, no relay).
* :func:`fill_maildir`: writes messages straight into a Maildir's ``cur/``.

The packages come from Debian (``dovecot-pop3d dovecot-imapd postfix``);
:func:`ensure_installed` installs them with apt-get when asked (never at import).

    python benchmarks/reference_servers.py --check [--install]   # start both, talk to them, stop
"""
from __future__ import annotations

import argparse
import grp
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

HOST = common.HOST
DOMAIN = "example.org"
# MailSim's world (simulator/data/world.json): the same logins and passwords.
USERS = {"alice": "alice", "bob": "bob"}
PACKAGES = ("dovecot-pop3d", "dovecot-imapd", "postfix")
BINARIES = {"dovecot": "/usr/sbin/dovecot", "doveconf": "/usr/bin/doveconf",
            "postfix": "/usr/sbin/postfix", "postconf": "/usr/sbin/postconf",
            "smtp-source": "/usr/sbin/smtp-source"}


class ReferenceError(RuntimeError):
    """A reference server that cannot be installed, configured or started."""


# ------------------------------------------------------------------ install
def missing_binaries() -> list[str]:
    return [name for name, path in BINARIES.items() if not (shutil.which(name) or os.path.exists(path))]


def ensure_installed(install: bool = False) -> None:
    """Raise :class:`ReferenceError` if a binary is missing, unless ``install`` may add it.

    The install runs apt-get non-interactively. Debian's maintainer scripts
    would start the system's own Dovecot and Postfix (on ports 25, 110, 143);
    while installing, a policy-rc.d that refuses every start is put in place
    if there is none (and removed after), so nothing is left running.
    """
    missing = missing_binaries()
    if not missing:
        return
    if not install:
        raise ReferenceError(
            f"missing {', '.join(missing)}: run with --install, or "
            f"DEBIAN_FRONTEND=noninteractive apt-get install -y {' '.join(PACKAGES)}")
    if os.geteuid() != 0:
        raise ReferenceError("installing the reference servers needs root (apt-get)")
    policy = Path("/usr/sbin/policy-rc.d")
    added_policy = False
    if not policy.exists():
        policy.write_text("#!/bin/sh\n# mailsim benchmarks: no service starts while installing\nexit 101\n")
        policy.chmod(0o755)
        added_policy = True
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        print(f"installing {' '.join(PACKAGES)} with apt-get ...", file=sys.stderr, flush=True)
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=False)
        done = subprocess.run(["apt-get", "install", "-y", "-q", *PACKAGES], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if done.returncode != 0:
            raise ReferenceError(f"apt-get install failed:\n{done.stdout[-3000:]}")
    finally:
        if added_policy:
            policy.unlink(missing_ok=True)
    still = missing_binaries()
    if still:
        raise ReferenceError(f"still missing after apt-get install: {', '.join(still)}")


def _run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, text=True, capture_output=True, **kw)


def dovecot_version() -> str:
    return _run(["dovecot", "--version"]).stdout.strip()


def postfix_version() -> str:
    return _run(["postconf", "-h", "mail_version"]).stdout.strip()


def versions() -> dict:
    """Versions of the reference servers (and of their Debian packages)."""
    out = {"dovecot": None, "postfix": None, "debian_packages": {}}
    if shutil.which("dovecot"):
        out["dovecot"] = dovecot_version()
    if shutil.which("postconf"):
        out["postfix"] = postfix_version()
    for pkg in ("dovecot-core", *PACKAGES):
        done = _run(["dpkg-query", "-W", "-f", "${Version}", pkg])
        out["debian_packages"][pkg] = done.stdout.strip() if done.returncode == 0 else None
    return out


def system_costs(folder: Optional[Path] = None, n: int = 50) -> dict:
    """Milliseconds per create+write+fsync of a 4 KiB file and per fork+exit+wait.

    Postfix pays an fsync per queued message and per Maildir delivery and
    Dovecot a fork per login: on a VM these costs can be many times those of
    bare metal, which changes the ratios. Recorded with each run's JSON.
    """
    folder = Path(folder or tempfile.mkdtemp(prefix="mailsim-bench-probe-"))
    probe = folder / "fsync-probe"
    probe.mkdir(parents=True, exist_ok=True)
    data = b"x" * 4096
    t = time.perf_counter()
    for i in range(n):
        fd = os.open(probe / f"f{i}", os.O_CREAT | os.O_WRONLY, 0o600)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
    fsync_ms = (time.perf_counter() - t) / n * 1e3
    shutil.rmtree(probe, ignore_errors=True)
    if folder.name.startswith("mailsim-bench-probe-"):
        shutil.rmtree(folder, ignore_errors=True)
    t = time.perf_counter()
    for _ in range(n):
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
    fork_ms = (time.perf_counter() - t) / n * 1e3
    return {"create_write_fsync_4k_ms": round(fsync_ms, 3), "fork_exit_wait_ms": round(fork_ms, 3)}


def simulator_changes() -> list[str]:
    """Files under simulator/ that differ from the commit (the run measured those too)."""
    done = _run(["git", "status", "--porcelain", "--", "simulator"], cwd=common.ROOT)
    return [line[3:] for line in done.stdout.splitlines()] if done.returncode == 0 else []


# ------------------------------------------------------------- process trees
@dataclass
class Running:
    """A reference server: its foreground process, folder, ports and log.

    ``cpu_times`` counts the whole process tree, including children that have
    already exited and been reaped (their time is in their parent's
    cutime/cstime): Dovecot forks a login process per connection, Postfix
    recycles its smtpd processes.
    """

    name: str
    process: subprocess.Popen
    folder: Path
    log: Path
    ports: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)
    stop_command: Optional[list[str]] = None

    def pids(self) -> list[int]:
        return common.process_tree(self.process.pid)

    def cpu_times(self) -> tuple[float, float]:
        return tree_cpu_times(self.pids())

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        """Stop the server and every process it started; wait until they are gone."""
        pids = self.pids()
        if self.stop_command and self.alive():
            _run(self.stop_command, timeout=30)
        elif self.alive():
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            pass
        # Anything of the tree still there (a daemon that ignored the stop) is killed.
        deadline = time.monotonic() + 5
        for pid in pids:
            while _exists(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            if _exists(pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)


def _exists(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def tree_cpu_times(pids: list[int]) -> tuple[float, float]:
    """(user, system) seconds of these processes and of their reaped children."""
    tick = os.sysconf("SC_CLK_TCK")
    user = system = 0.0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            user += (int(fields[11]) + int(fields[13])) / tick
            system += (int(fields[12]) + int(fields[14])) / tick
        except (OSError, IndexError, ValueError):
            pass
    return user, system


def _wait_greeting(server: Running, port: int, prefix: bytes, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if not server.alive():
            raise ReferenceError(f"{server.name} exited: {_tail(server.log)}")
        try:
            with socket.create_connection((HOST, port), timeout=2) as s:
                greeting = s.recv(512)
                if greeting.startswith(prefix):
                    return
                last = greeting
        except OSError as exc:
            last = exc
        time.sleep(0.1)
    raise ReferenceError(f"{server.name} on port {port} did not greet ({last!r}): {_tail(server.log)}")


def _tail(path: Path, size: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-size:]
    except OSError:
        return "(no log)"


def mail_owner() -> tuple[int, int]:
    """uid/gid owning the mail files of both servers: ``nobody``/``nogroup`` (no new users)."""
    try:
        uid = pwd.getpwnam("nobody").pw_uid
    except KeyError:
        uid = 65534
    try:
        gid = grp.getgrnam("nogroup").gr_gid
    except KeyError:
        gid = 65534
    return uid, gid


def _open_path(folder: Path) -> None:
    """Let the servers' unprivileged users reach ``folder``: o+x on it and its scratch parents.

    Only folders inside the temporary directory are changed (the benchmark's
    own mkdtemp folders are 0700); any other parent that is closed is an error.
    """
    tmp = Path(tempfile.gettempdir()).resolve()
    folder = folder.resolve()
    os.chmod(folder, 0o755)
    for parent in folder.parents:
        mode = parent.stat().st_mode
        if mode & 0o001:
            continue
        if tmp in parent.parents:
            os.chmod(parent, (mode & 0o7777) | 0o711)
        else:
            raise ReferenceError(f"{parent} is not searchable by other users (mode {mode & 0o777:o}): "
                                 f"use a work folder under {tmp}")


def _chown_tree(path: Path, uid: int, gid: int) -> None:
    os.chown(path, uid, gid)
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            os.chown(os.path.join(root, name), uid, gid)


# ----------------------------------------------------------------- Maildir
def maildir_name(n: int, size_lf: int, size_crlf: int) -> str:
    """A Maildir file name with Dovecot's size hints (S= on disk, W= with CRLF)."""
    return f"{1700000000 + n}.M{n}P{os.getpid()}.bench,S={size_lf},W={size_crlf}:2,"


def fill_maildir(maildir: Path, messages: list[bytes], owner: Optional[tuple[int, int]] = None) -> None:
    """Write ``messages`` (CRLF text) into ``maildir/cur`` as LF files, in order.

    Dovecot stores LF and sends CRLF, as it does for mail it delivers itself.
    """
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
    for n, raw in enumerate(messages, 1):
        data = raw.replace(b"\r\n", b"\n")
        (maildir / "cur" / maildir_name(n, len(data), len(raw))).write_bytes(data)
    if owner:
        _chown_tree(maildir, *owner)


def count_files(folder: Path) -> int:
    try:
        with os.scandir(folder) as it:
            return sum(1 for _ in it)
    except FileNotFoundError:
        return 0


# ------------------------------------------------------------------ Dovecot
def _dovecot_major_minor() -> tuple[int, int]:
    m = re.match(r"(\d+)\.(\d+)", dovecot_version())
    if not m:
        raise ReferenceError(f"cannot read Dovecot's version: {dovecot_version()!r}")
    return int(m.group(1)), int(m.group(2))


def dovecot_config(folder: Path, pop3_port: int, imap_port: int, users_file: Path,
                   version: tuple[int, int], instance: str) -> str:
    """The whole dovecot.conf (nothing included from /etc/dovecot).

    Everything not set here keeps Dovecot's defaults, i.e. the server as
    Debian ships it: a login process per connection (service_count = 1),
    mail_fsync = optimized, index files in the Maildir. Only the per-user
    connection limit is raised (default 10 per user and IP), since the
    benchmark's parallel IMAP clients share two users over 127.0.0.1.
    """
    common_part = f"""\
base_dir = {folder}/run
state_dir = {folder}/state
instance_name = {instance}
log_path = {folder}/dovecot.log
listen = {HOST}
ssl = no
auth_mechanisms = plain login
first_valid_uid = 1
mail_max_userip_connections = 1000
service imap-login {{
  inet_listener imap {{
    port = {imap_port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = {pop3_port}
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
"""
    if version >= (2, 4):
        return f"""\
dovecot_config_version = 2.4.0
dovecot_storage_version = 2.4.0
protocols = imap pop3
auth_allow_cleartext = yes
mail_driver = maildir
mail_path = ~/Maildir
pop3_uidl_format = %{{uid | hex(8)}}%{{uidvalidity | hex(8)}}
passdb passwd-file {{
  passwd_file_path = {users_file}
  default_password_scheme = PLAIN
}}
userdb passwd-file {{
  passwd_file_path = {users_file}
}}
{common_part}"""
    return f"""\
protocols = imap pop3
disable_plaintext_auth = no
mail_location = maildir:~/Maildir
pop3_uidl_format = %08Xu%08Xv
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%n {users_file}
}}
userdb {{
  driver = passwd-file
  args = username_format=%n {users_file}
}}
{common_part}"""


def start_dovecot(folder: Path, mailboxes: dict[str, list[bytes]],
                  users: dict[str, str] = USERS) -> Running:
    """Dovecot with POP3 and IMAP on free loopback ports; each user's INBOX preloaded.

    ``mailboxes`` maps a login to the messages (CRLF bytes) of its INBOX.
    The returned server has ``ports["pop3"]`` and ``ports["imap"]``.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    _open_path(folder)  # login (dovenull), auth (dovecot) and mail processes (nobody) look inside
    uid, gid = mail_owner()
    homes = folder / "home"
    homes.mkdir(exist_ok=True)
    lines = []
    for login, password in users.items():
        home = homes / login
        home.mkdir(exist_ok=True)
        fill_maildir(home / "Maildir", mailboxes.get(login, []))
        _chown_tree(home, uid, gid)
        lines.append(f"{login}:{{PLAIN}}{password}:{uid}:{gid}::{home}::")
    users_file = folder / "users"
    users_file.write_text("\n".join(lines) + "\n")
    os.chmod(users_file, 0o644)
    pop3_port, imap_port = common.free_port(), common.free_port()
    while imap_port == pop3_port:
        imap_port = common.free_port()
    conf = folder / "dovecot.conf"
    conf.write_text(dovecot_config(folder, pop3_port, imap_port, users_file,
                                   _dovecot_major_minor(), f"mailsim-bench-{os.getpid()}-{pop3_port}"))
    checked = _run(["doveconf", "-n", "-c", str(conf)])
    if checked.returncode != 0:
        raise ReferenceError(f"doveconf rejects {conf}: {checked.stderr.strip() or checked.stdout.strip()}")
    (folder / "doveconf-n.txt").write_text(checked.stdout)
    log = folder / "dovecot.stderr"
    proc = subprocess.Popen(["dovecot", "-F", "-c", str(conf)], stdout=open(log, "w"),
                            stderr=subprocess.STDOUT, start_new_session=True)
    server = Running("dovecot", proc, folder, folder / "dovecot.log",
                     {"pop3": pop3_port, "imap": imap_port})
    try:
        _wait_greeting(server, pop3_port, b"+OK")
        _wait_greeting(server, imap_port, b"* OK")
    except BaseException:
        server.stop()
        raise
    return server


# ------------------------------------------------------------------ Postfix
POSTFIX_MASTER_CF = """\
# service type  private unpriv  chroot  wakeup  maxproc command + args
{listen} inet  n       -       n       -       -       smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


def postfix_main_cf(folder: Path, users: list[str], uid: int, gid: int) -> str:
    """main.cf: Debian's defaults except where the folder, port and domain differ.

    The services of master.cf are those of Debian's master.cf without chroot
    (Debian chroots smtpd and the queue daemons into the queue directory,
    which would need copies of /etc files there; it makes no measurable
    difference to throughput).
    """
    return f"""\
compatibility_level = 3.6
queue_directory = {folder}/queue
data_directory = {folder}/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.{DOMAIN}
mydomain = {DOMAIN}
myorigin = $mydomain
mydestination =
inet_interfaces = {HOST}
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relayhost =
alias_maps =
alias_database =
local_recipient_maps =
virtual_mailbox_domains = {DOMAIN}
virtual_mailbox_base = {folder}/vmail
virtual_mailbox_maps = texthash:{folder}/conf/vmailbox
virtual_uid_maps = static:{uid}
virtual_gid_maps = static:{gid}
virtual_minimum_uid = 1
smtpd_banner = $myhostname ESMTP
biff = no
append_dot_mydomain = no
readme_directory = no
smtputf8_enable = no
"""


def start_postfix(folder: Path, users: tuple[str, ...] = tuple(USERS), log_file: bool = False,
                  settings: Optional[dict[str, str]] = None) -> Running:
    """Postfix accepting mail for ``<user>@example.org`` on a free loopback port.

    Every accepted message goes through Postfix's queue (cleanup, fsync'd
    queue file, qmgr) and is delivered by virtual(8) into
    ``extra["maildirs"][user]`` (``.../Maildir/new``).
    The returned server has ``ports["smtp"]``.

    Postfix logs to syslog, as Debian's does; with no syslog daemon on the
    machine those lines are dropped. ``log_file`` sends them to
    ``<folder>/maillog`` through postlogd instead (one more process doing
    work for every message: for debugging, not for figures).
    ``settings`` are appended to main.cf (e.g. ``{"max_use": "10000"}``).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    _open_path(folder)
    uid, gid = mail_owner()
    conf = folder / "conf"  # postfix-script wants everything below it owned by root
    for sub in ("conf", "queue", "data"):
        (folder / sub).mkdir(exist_ok=True)
    shutil.chown(folder / "data", "postfix", "postfix")
    vmail = folder / "vmail"
    vmail.mkdir(exist_ok=True)
    maildirs = {}
    for user in users:
        maildir = vmail / DOMAIN / user / "Maildir"
        for sub in ("cur", "new", "tmp"):
            (maildir / sub).mkdir(parents=True, exist_ok=True)
        maildirs[user] = maildir / "new"
    _chown_tree(vmail, uid, gid)
    (conf / "vmailbox").write_text(
        "".join(f"{u}@{DOMAIN} {DOMAIN}/{u}/Maildir/\n" for u in users))
    port = common.free_port()
    main_cf = postfix_main_cf(folder, users, uid, gid)
    if log_file:
        main_cf += f"maillog_file = {folder}/maillog\nmaillog_file_prefixes = {folder}\n"
    main_cf += "".join(f"{name} = {value}\n" for name, value in (settings or {}).items())
    (conf / "main.cf").write_text(main_cf)
    (conf / "master.cf").write_text(POSTFIX_MASTER_CF.format(listen=f"{HOST}:{port}"))
    env = {**os.environ, "MAIL_CONFIG": str(conf)}
    # Creates the queue directories with their owners and modes.
    _run(["postfix", "-c", str(conf), "set-permissions"], env=env)
    checked = _run(["postfix", "-c", str(conf), "check"], env=env)
    if checked.returncode != 0:
        # Postfix reports to syslog (and to stderr only on a terminal).
        raise ReferenceError(f"postfix check failed for {conf}: {checked.stderr.strip()} "
                             f"(try: script -qc 'postfix -c {conf} check' /dev/null)")
    log = folder / "postfix.stderr"
    proc = subprocess.Popen(["postfix", "-c", str(conf), "start-fg"], stdout=open(log, "w"),
                            stderr=subprocess.STDOUT, env=env, start_new_session=True)
    server = Running("postfix", proc, folder, folder / "maillog" if log_file else log, {"smtp": port},
                     {"maildirs": maildirs, "config": conf},
                     stop_command=["postfix", "-c", str(conf), "stop"])
    try:
        _wait_greeting(server, port, b"220")
    except BaseException:
        server.stop()
        raise
    return server


# --------------------------------------------------------------- self-check
def _check(install: bool) -> int:
    import imaplib
    import poplib
    import smtplib

    ensure_installed(install)
    print(versions())
    work = common.workdir("reference")
    msg = (b"From: alice@example.org\r\nTo: bob@example.org\r\nSubject: check\r\n\r\nhello\r\n")
    dovecot = start_dovecot(work / "dovecot", {"bob": [msg, msg], "alice": [msg]})
    try:
        pop = poplib.POP3(HOST, dovecot.ports["pop3"], timeout=10)
        pop.user("bob")
        pop.pass_("bob")
        print("dovecot pop3 STAT:", pop.stat(), "RETR 1:", pop.retr(1)[1][:3])
        pop.quit()
        imap = imaplib.IMAP4(HOST, dovecot.ports["imap"], timeout=10)
        imap.login("alice", "alice")
        print("dovecot imap EXAMINE:", imap.select("INBOX", readonly=True))
        print("dovecot imap FETCH:", imap.uid("FETCH", "1:*", "(BODY.PEEK[HEADER])")[0])
        imap.logout()
        print("dovecot cpu:", dovecot.cpu_times())
    finally:
        dovecot.stop()
    postfix = start_postfix(work / "postfix")
    try:
        with smtplib.SMTP(HOST, postfix.ports["smtp"], timeout=10) as smtp:
            smtp.sendmail("alice@example.org", ["bob@example.org"], msg)
        deadline = time.monotonic() + 10
        while count_files(postfix.extra["maildirs"]["bob"]) < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        print("postfix delivered:", count_files(postfix.extra["maildirs"]["bob"]))
    finally:
        postfix.stop()
    left = [p for p in dovecot.pids() + postfix.pids() if _exists(p)]
    print("left running:", left)
    common.cleanup(work)
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="start both servers, use them, stop them")
    parser.add_argument("--install", action="store_true", help="apt-get install the packages if missing")
    args = parser.parse_args()
    sys.exit(_check(args.install) if args.check else 0)
