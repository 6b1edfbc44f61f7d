"""`python -m lifecycle demo`: load the demo proposals into a database that has the voting demo;
`python -m lifecycle notify`: send the SMS due and make the reminders due (lifecycle.reminders)."""

import asyncio
import sys


def notify() -> int:
    """`python -m lifecycle notify`: one pass of the notification centre (lifecycle.reminders): the
    reminders due today, then the SMS whose time has come; what it did, in one line."""

    async def run() -> dict[str, int]:
        from lifecycle import reminders
        from voting import database

        await database.prepare()
        try:
            return await reminders.run_once()
        finally:
            await database.shutdown()

    from config import settings

    done = asyncio.run(run())
    missing = settings().sms.missing
    sms = (f"短信未配置（缺少 {'、'.join(missing)}），不发送短信" if missing else
           f"短信已发送 {done['sent']} 条，待重试 {done['queued']} 条，失败 {done['failed']} 条")
    print(f"新提醒 {done['reminders']} 条；{sms}。")
    return 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["notify"]:
        return notify()
    if argv[:1] != ["demo"]:
        print("用法：python -m lifecycle demo | notify", file=sys.stderr)
        return 2

    async def run() -> bool:
        from lifecycle import demo
        from voting import database

        await database.prepare()
        try:
            return await demo.load_if_empty()
        finally:
            await database.shutdown()

    if asyncio.run(run()):
        from config import settings

        url = f"http://127.0.0.1:{settings().port}"
        print(f"已载入演示建议征集：群众建议 {url}/public   初审部门登录 shencha / qingxi2025")
        print(f"已载入上一年度的票决和民生实事项目：项目看板 {url}/console/dashboard   公开项目 {url}/public/projects")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
