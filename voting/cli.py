"""The `python -m voting` command line.

One function per subcommand, `cmd_<name>(args) -> int`, registered in
`build_parser`. A command that cannot do its job raises `CommandError`; `main`
prints `错误：<message>` on standard error and exits 2, with nothing on standard
output. Modules that need the database are imported inside the command that
needs them, so `recount` works on a machine with nothing but the file.
"""

from __future__ import annotations

import argparse
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


async def _verify(poll: str) -> dict:
    from voting import polls

    return await polls.verify((await _find_poll(poll))["id"])


def cmd_verify(args: argparse.Namespace) -> int:
    """Recompute a closed poll's seal from the stored ballots; exit 1 if anything changed since."""
    report = _run_with_database(_verify, args.poll)
    lines = [f"票决 {report['poll']}：库中选票 {report['ballots']} 张",
             f"封存的 SHA-256：{report['sealed']}", f"现在计算的 SHA-256：{report['computed']}"]
    if report["intact"]:
        lines.append("核验通过：选票自计票封存以来没有被改动、增加或删除，重新计票结果与存档一致。")
    else:
        lines.append("核验失败：库中选票与封存时不一致（有选票被改动、增加或删除）"
                     + ("。" if report["result_matches"] else "，重新计票的结果也与存档不同。"))
    write_stdout("\n".join(lines) + "\n")
    return EXIT_OK if report["intact"] else EXIT_ALTERED


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


def build_parser() -> argparse.ArgumentParser:
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
        help="核验封存：从数据库重新计算选票文件的 SHA-256，与计票时的封存比对",
        description="重新计算已结束票决的选票封存值并与计票时（或最近一次更正时）的封存比对；"
                    "一致退出码 0，不一致退出码 1。",
    )
    verify.add_argument("poll", metavar="POLL_ID", help="票决编号（如 2025-s1-1）或数据库中的序号")
    verify.set_defaults(run=cmd_verify)

    backup = commands.add_parser(
        "backup",
        help="备份：在投票进行中也能得到一致的 SQLite 数据库副本（PostgreSQL 请用 pg_dump）",
        description="用 SQLite 在线备份接口复制数据库，得到某一时刻的一致副本，并做完整性检查。",
    )
    backup.add_argument("dest", nargs="?", metavar="FILE", help="备份文件（默认：数据目录/backups/时间.sqlite3）")
    backup.set_defaults(run=cmd_backup)

    demo = commands.add_parser("demo", help="空数据库时载入演示数据，并显示访问地址")
    demo.set_defaults(run=cmd_demo)

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
