"""The `python -m voting` command line.

One function per subcommand, `cmd_<name>(args) -> int`, registered in
`build_parser`. A command that cannot do its job raises `CommandError`; `main`
prints `错误：<message>` on standard error and exits 2, with nothing on standard
output. Modules that need the database are imported inside the command that
needs them, so `recount` works on a machine with nothing but the file.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from voting.ballot_file import BallotFileError, dumps, load_ballot_file
from voting.rules import count

EXIT_OK = 0
EXIT_ERROR = 2


class CommandError(Exception):
    """A command could not do its job; the message (Chinese) says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- Commands ----------------------------------------------------------------------


def cmd_recount(args: argparse.Namespace) -> int:
    """Recount a ballot file and print the result file."""
    rules, ballots = load_ballot_file(read_text(args.file))
    write_stdout(dumps(count(rules, ballots).to_json()))
    return EXIT_OK


def _run_with_database(coroutine_function, *args):
    """Run an async use case against the configured database (imported only here)."""
    import asyncio

    from voting.errors import Refused

    try:
        return asyncio.run(coroutine_function(*args))
    except Refused as refused:
        raise CommandError(refused.message) from None


async def _find_poll(poll: str) -> dict:
    """A poll named on the command line by its reference (2025-s1-1) or its number."""
    from voting import polls

    return await polls.get_poll(int(poll)) if poll.isdigit() else await polls.get_poll_by_ref(poll)


async def _export(poll: str) -> str:
    from voting import polls

    return await polls.export_ballot_file((await _find_poll(poll))["id"])


EXIT_ALTERED = 1


async def _verify(poll: str, expect: str, audit_head: str, signers: tuple[str, ...]) -> dict:
    from voting import seal_check

    return await seal_check.verify((await _find_poll(poll))["id"], expect, audit_head, signers)


def cmd_verify(args: argparse.Namespace) -> int:
    """Check a counted poll against its seal, the printed tally sheet, the scrutineers'
    signatures and the audit chain; exit 1 if anything does not hold."""
    from voting import seal_check

    report = _run_with_database(_verify, args.poll, args.expect or "", args.audit_head or "", tuple(args.signer or ()))
    write_stdout("\n".join(seal_check.lines(report)) + "\n")
    return EXIT_OK if report["ok"] else EXIT_ALTERED


def cmd_backup(args: argparse.Namespace) -> int:
    """A consistent copy of the live SQLite database, safe while a vote runs."""
    from voting import backup

    try:
        report = backup.backup_sqlite(Path(args.dest) if args.dest else None)
    except backup.BackupError as error:
        raise CommandError(str(error)) from None
    write_stdout(f"已备份到 {report['path']}（{report['bytes']:,} 字节，完整性检查：{report['integrity']}）。\n"
                 f"其中票决 {report['polls']} 次、选票 {report['ballots']} 张、代表 {report['deputies']} 位。\n"
                 "恢复：停止服务后把该文件复制为数据目录中的 piaojue.sqlite3（连同 secret.key）。\n")
    return EXIT_OK


async def _checkpoint() -> None:
    from voting import database

    await database.prepare()
    if database.is_sqlite():
        await database.after_seal([])


def cmd_checkpoint(args: argparse.Namespace) -> int:
    """Rewrite SQLite's database file (VACUUM), fold the write-ahead log into it and empty it (after a
    count that could not)."""
    _run_with_database(_checkpoint)
    write_stdout("数据库文件已整理，预写日志已清空：投票时的记录已并入数据库文件，删除的内容已用零覆盖。\n")
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    """Print a closed poll's ballot file."""
    write_stdout(_run_with_database(_export, args.poll))
    return EXIT_OK


async def _demo() -> str:
    from config import settings
    from voting import demo

    logins = await demo.load_if_empty()
    url = f"http://127.0.0.1:{settings().port}"
    lines = [f"票决已就绪：代表平板 {url}/tablet   秘书处控制台 {url}/console"]
    if logins is not None:
        lines.append("已载入演示数据（青溪县第十九届人大第三次会议，231 位代表）。")
    lines.append(f"演示秘书处登录：用户名 {demo.DEMO_USER}  密码 {demo.DEMO_PASSWORD}"
                 if logins is not None or (settings().data_dir / "demo-logins.txt").exists() else
                 "数据库中已有数据，未载入演示数据。")
    demo_file = settings().data_dir / "demo-logins.txt"
    if demo_file.exists():
        lines.append(f"演示代表登录码见 {demo_file}")
    return "\n".join(lines) + "\n"


def cmd_demo(args: argparse.Namespace) -> int:
    """Load the demo data into an empty database and say where to go."""
    write_stdout(_run_with_database(_demo))
    return EXIT_OK


EXIT_FAILED = 1


def cmd_rehearse(args: argparse.Namespace) -> int:
    """会前演练: a full simulated vote against a running server; exit 1 if anything was lost, doubled or wrong."""
    import asyncio
    import json
    import os

    from voting import rehearsal

    user = args.user if args.user is not None else os.environ.get("PIAOJUE_REHEARSAL_USER", "")
    password = args.password if args.password is not None else os.environ.get("PIAOJUE_REHEARSAL_PASSWORD", "")
    if not user or not password:
        raise CommandError("需要秘书处账号：请用 --user 和 --password，或环境变量 PIAOJUE_REHEARSAL_USER 和 "
                           "PIAOJUE_REHEARSAL_PASSWORD 提供。")
    for name, value, low, high in (("--deputies", args.deputies, 1, 5000), ("--connections", args.connections, 1, 5000),
                                   ("--processes", args.processes, 1, 64)):
        if not low <= value <= high:
            raise CommandError(f"{name} 必须在 {low} 到 {high} 之间。")
    try:
        if args.list:
            STATUS = {"draft": "草稿", "open": "投票中", "counting": "录入纸质选票", "closed": "已计票"}
            found = asyncio.run(rehearsal.kept(args.url, user, password, args.timeout))
            lines = [f"#{r['congress_id']}  {r['name']}  代表 {r['deputies']} 位  票决 "
                     + ("、".join(f"{p['ref']}（{STATUS.get(p['status'], p['status'])}）" for p in r["polls"]) or "无")
                     for r in found]
            write_stdout("\n".join(lines or ["服务器上没有保留的演练数据。"]) + "\n")
            return EXIT_OK
        if args.remove is not None:
            removed = asyncio.run(rehearsal.remove(args.url, user, password, args.remove, args.timeout))
            write_stdout(f"已删除演练人大 #{args.remove}：代表 {removed.get('deputies', 0)} 位、"
                         f"票决 {removed.get('polls', 0)} 次、选票 {removed.get('ballots', 0)} 张。\n")
            return EXIT_OK
        options = rehearsal.Options(
            url=args.url, deputies=args.deputies, candidates=args.candidates, seats=args.seats, seed=args.seed,
            connections=args.connections, processes=args.processes, keep=args.keep, reuse=args.reuse, user=user,
            password=password, timeout=args.timeout)
        report = asyncio.run(rehearsal.rehearse(options, say=lambda line: write_stdout(line + "\n")))
    except rehearsal.RehearsalError as error:
        raise CommandError(error.message) from None
    write_stdout(rehearsal.summary(report) + "\n")
    if args.json:
        Path(args.json).write_text(json.dumps(report.to_json(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return EXIT_OK if report.passed else EXIT_FAILED


def _hall_addresses(args: argparse.Namespace) -> tuple[list[str], list[str]]:
    from voting import hall_server, tls

    addresses = args.address or tls.lan_addresses()
    names = args.name if args.name is not None else hall_server.default_names()
    return addresses, names


def cmd_tls(args: argparse.Namespace) -> int:
    """Make (or renew) the hall's certificate authority and server certificate, and say what they are."""
    from voting import hall_server, tls

    try:
        made = tls.ensure(hall_server.tls_directory(), *_hall_addresses(args))
    except tls.TlsError as error:
        raise CommandError(str(error)) from None
    write_stdout(f"{'已签发新的服务器证书' if made.renewed else '服务器证书仍然有效'}：{made.server_cert}\n"
                 f"地址：{'、'.join(made.addresses + made.names)}；有效期至 {made.not_after:%Y-%m-%d}（剩 {made.days_left()} 天）\n"
                 f"会场证书机构：{made.ca_cert}（平板安装这一份），有效期至 {made.ca_not_after:%Y-%m-%d}\n"
                 f"指纹 SHA-256：{made.ca_fingerprint}\n")
    return EXIT_OK


def cmd_hall(args: argparse.Namespace) -> int:
    """Serve the hall over HTTPS on the LAN (voting.hall_server)."""
    from voting import hall_server, tls

    try:
        return hall_server.serve(args.port, args.http_port, *_hall_addresses(args), host=args.host)
    except tls.TlsError as error:
        raise CommandError(str(error)) from None


class _ChineseHelp(argparse.HelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None):  # type: ignore[no-untyped-def]
        super().add_usage(usage, actions, groups, "用法：" if prefix is None else prefix)


def build_parser() -> argparse.ArgumentParser:
    from voting import hall_server

    parser = argparse.ArgumentParser(prog="python -m voting", description="票决：计票与核对")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    recount = commands.add_parser(
        "recount",
        help="重新计票：读取选票文件，输出计票结果文件",
        description="读取 piaojue-ballots/1 选票文件，在标准输出打印 piaojue-result/1 计票结果。",
    )
    recount.add_argument("file", metavar="FILE", help="选票文件（JSON）")
    recount.set_defaults(run=cmd_recount)

    export = commands.add_parser(
        "export",
        help="导出选票文件：已结束的票决的全部选票（不含任何代表信息）",
        description="在标准输出打印已结束票决的 piaojue-ballots/1 选票文件。",
    )
    export.add_argument("poll", metavar="POLL_ID", help="票决编号（如 2025-s1-1）或数据库中的序号")
    export.set_defaults(run=cmd_export)

    verify = commands.add_parser(
        "verify",
        help="核验封存：重新计算选票封存值，对照计票单、监票人签名和审计日志哈希链",
        description="重新计算已结束票决的选票封存值并与计票时（或最近一次更正时）的封存比对，"
                    "核对计票单上印的封存值、每位监票人的电子签名和审计日志的哈希链；"
                    "全部通过退出码 0，否则退出码 1。",
    )
    verify.add_argument("poll", metavar="POLL_ID", help="票决编号（如 2025-s1-1）或数据库中的序号")
    verify.add_argument("--expect", metavar="SHA256",
                        help="计票单上印的选票文件 SHA-256（完整 64 位，或至少前 16 位）")
    verify.add_argument("--audit-head", metavar="HEAD",
                        help="计票单或公告上印的审计日志链头（至少前 16 位）")
    verify.add_argument("--signer", metavar="FINGERPRINT", action="append",
                        help="计票单上监票人姓名旁印的平板签名钥匙指纹（如 3F2A-91C0），每位一次")
    verify.set_defaults(run=cmd_verify)

    backup = commands.add_parser(
        "backup",
        help="备份：在投票进行中也能得到一致的 SQLite 数据库副本（PostgreSQL 请用 pg_dump）",
        description="用 SQLite 在线备份接口复制数据库，得到某一时刻的一致副本，并做完整性检查。",
    )
    backup.add_argument("dest", nargs="?", metavar="FILE", help="备份文件（默认：数据目录/backups/时间.sqlite3）")
    backup.set_defaults(run=cmd_backup)

    checkpoint = commands.add_parser(
        "checkpoint", help="整理数据库文件并清空预写日志：计票后未能完成时（磁盘满、另有程序在读数据库）再做一次",
        description="把 SQLite 的预写日志（WAL）并入数据库文件并清空；做不到时退出码 2 并说明原因。")
    checkpoint.set_defaults(run=cmd_checkpoint)

    for name, run, summary in (("tls", cmd_tls, "会场证书：创建本机的会场证书机构和服务器证书，快到期时更新"),
                               ("hall", cmd_hall, "会场服务：在局域网地址上以 HTTPS 提供服务，供平板投票")):
        command = commands.add_parser(name, help=summary, description=summary)
        command.add_argument("--address", action="append", metavar="IP",
                             help="平板访问的局域网地址（可多次给出；默认：本机所有局域网地址）")
        command.add_argument("--name", action="append", metavar="HOST", help="主机名（可多次给出；默认：本机主机名）")
        if name == "hall":
            command.add_argument("--port", type=int, default=hall_server.HTTPS_PORT,
                                 help=f"HTTPS 端口（默认 {hall_server.HTTPS_PORT}）")
            command.add_argument("--http-port", type=int, default=hall_server.HTTP_PORT,
                                 help=f"安装证书用的 HTTP 端口（默认 {hall_server.HTTP_PORT}）")
            command.add_argument("--host", default="0.0.0.0", help="监听的地址（默认 0.0.0.0，所有网卡）")
        command.set_defaults(run=run)

    demo = commands.add_parser("demo", help="空数据库时载入演示数据，并显示访问地址")
    demo.set_defaults(run=cmd_demo)

    rehearse = commands.add_parser(
        "rehearse", formatter_class=_ChineseHelp, add_help=False,
        help="会前演练：对运行中的服务器做一次完整的模拟投票，核对每一张选票",
        description="会前演练：以秘书处账号登录，建立单独的演练人大（不出现在正式名单中），N 台模拟平板登录、签到，"
                    "开始投票后同时提交随机的有效选票，几位代表再次提交（应被拒绝），结束投票并计票，"
                    "再用服务器接收的选票在本地重新计票，与服务器的结果逐项比对。输出吞吐量、p50/p95/p99 延迟和"
                    "各类错误；全部一致时退出码 0（演练通过），有选票丢失、重复或结果不符时退出码 1（演练失败），"
                    "无法进行演练时退出码 2。结束后删除演练数据（--keep 保留）。",
    )
    rehearse._optionals.title = "选项"
    rehearse.add_argument("-h", "--help", action="help", help="显示本帮助并退出")
    rehearse.add_argument("--url", default=os.environ.get("PIAOJUE_REHEARSAL_URL", "http://127.0.0.1:8000"),
                          help="服务器地址（默认 %(default)s，或环境变量 PIAOJUE_REHEARSAL_URL）")
    rehearse.add_argument("--deputies", type=int, default=450, metavar="N", help="模拟代表人数，1–5000（默认 %(default)s）")
    rehearse.add_argument("--candidates", type=int, default=12, metavar="N", help="候选项目数（默认 %(default)s）")
    rehearse.add_argument("--seats", type=int, default=10, metavar="N", help="应选项目数，也是每票最多赞成数（默认 %(default)s）")
    rehearse.add_argument("--seed", type=int, default=1, help="随机种子：同一种子得到同样的选票（默认 %(default)s）")
    rehearse.add_argument("--connections", type=int, default=200, metavar="N",
                          help="同时使用的连接数（所有客户端进程合计，默认 %(default)s）")
    rehearse.add_argument("--processes", type=int, default=1, metavar="K",
                          help="把提交选票的平板分到 K 个客户端进程，单个进程发不出足够压力时使用（默认 %(default)s）")
    rehearse.add_argument("--user", default=None,
                          help="秘书处用户名（默认取环境变量 PIAOJUE_REHEARSAL_USER）")
    rehearse.add_argument("--password", default=None,
                          help="秘书处密码（默认取环境变量 PIAOJUE_REHEARSAL_PASSWORD）")
    rehearse.add_argument("--keep", action="store_true", help="演练结束后保留演练数据（默认删除）")
    rehearse.add_argument("--reuse", type=int, default=None, metavar="CONGRESS_ID",
                          help="在保留下来的演练人大中再演练一轮：新建演练票决，重新发放登录码")
    rehearse.add_argument("--remove", type=int, default=None, metavar="CONGRESS_ID",
                          help="只删除保留下来的演练人大及其全部数据，不做演练")
    rehearse.add_argument("--list", action="store_true", help="只列出服务器上保留的演练人大，不做演练")
    rehearse.add_argument("--timeout", type=float, default=120.0, help="每个请求的超时秒数（默认 %(default)s）")
    rehearse.add_argument("--json", default=None, metavar="FILE", help="把演练报告另存为 JSON 文件")
    rehearse.set_defaults(run=cmd_rehearse)

    return parser


# --- Input and output ----------------------------------------------------------------


def read_text(name: str) -> str:
    """A UTF-8 text file (a leading byte-order mark is tolerated)."""
    try:
        data = Path(name).read_bytes()
    except FileNotFoundError:
        raise CommandError(f"找不到文件 {name}") from None
    except IsADirectoryError:
        raise CommandError(f"{name} 是目录，不是文件") from None
    except PermissionError:
        raise CommandError(f"没有权限读取文件 {name}") from None
    except OSError as error:
        raise CommandError(f"无法读取文件 {name}：{error.strerror or error}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise CommandError(
            f"文件 {name} 不是 UTF-8 编码的文本（第 {error.start} 个字节处出错）"
        ) from None


def write_stdout(text: str) -> None:
    """Write UTF-8 whatever the console's encoding, as the spec's files are UTF-8."""
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:
        sys.stdout.write(text)
    else:
        sys.stdout.flush()
        buffer.write(text.encode("utf-8"))
    sys.stdout.flush()


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, or a usage error argparse has reported
        return exit_.code if isinstance(exit_.code, int) else EXIT_ERROR
    try:
        return args.run(args)
    except (BallotFileError, CommandError) as error:
        print(f"错误：{error.message}", file=sys.stderr)
        return EXIT_ERROR
