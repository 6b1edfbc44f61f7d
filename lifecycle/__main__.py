"""`python -m lifecycle demo`: load the demo proposals into a database that has the voting demo."""

import asyncio
import sys


def main(argv: list[str]) -> int:
    if argv[:1] != ["demo"]:
        print("用法：python -m lifecycle demo", file=sys.stderr)
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
