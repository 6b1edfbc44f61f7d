"""Printing numbered paper ballots: a print run of 450 (the largest county congress) in one
PDF, through the production function (`reports.ballots.ballots_pdf`, as the console calls
it), against rendering each ballot on its own through WeasyPrint (the same template, a
document per ballot, one after another in one warm process) measured in the same run.

Targets (from the issue): the print run takes at most a tenth of the reference's time,
peaks under 500 MB of memory (every process it uses), and its PDF is under 5 MB.
No database: a demo-like poll (青溪县, voting.demo_data) with 12 or 40 candidates.
"""

from __future__ import annotations

import asyncio
import io
import time
from typing import Any

from bench.core import at_most, below, median, peak_memory_mb, record, run_isolated, setting, timed

COUNT = 450
POLL_ID, POLL_REF = 7, "2025-s1-7"
# 28 more projects of the kind a county votes on, after the demo's 12, for a 40-candidate ballot.
MORE_TITLES = [
    "乡村道路安全防护设施完善工程", "城区背街小巷改造提升", "农贸市场标准化改造", "县人民医院急诊能力提升",
    "中小学校园安全视频监控全覆盖", "公共厕所新建及改造提升", "残疾人康复服务中心建设", "城乡公交一体化线路延伸",
    "老旧小区加装电梯补助", "社区嵌入式养老服务中心建设", "农村危房改造及抗震加固", "山塘水库除险加固",
    "城区雨污分流管网改造", "智慧停车诱导系统建设", "全民健身中心改造提升", "乡镇污水处理设施提标改造",
    "农村电网改造升级", "县图书馆分馆及城市书房建设", "困难群众医疗救助提标扩面", "校外托管服务点建设",
    "溪滨公园及绿道建设", "农产品冷链物流设施建设", "新建城区第三幼儿园", "城区路灯节能改造",
    "农村卫生室标准化建设", "森林防火通道及蓄水池建设", "退役军人服务站规范化建设", "城区消防站及微型消防站建设",
]


def inputs(candidates: int) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any], list[tuple[str, str]]]:
    """Poll, candidates, session and the print run's (serial, QR text) pairs, as the console passes them."""
    from voting import demo_data
    from voting.serials import make_serial, qr_text

    titles = [p["title"] for p in demo_data.candidate_projects()] + MORE_TITLES
    assert candidates <= len(titles)
    poll = {"id": POLL_ID, "ref": POLL_REF, "title": demo_data.POLL["title"], "method": "approval",
            "seats": 10 if candidates <= 12 else candidates // 2, "max_approvals": None,
            "threshold_base": "entitled", "threshold_fraction": "1/2", "threshold_strict": True}
    serials = [make_serial(POLL_ID, n) for n in range(1, COUNT + 1)]
    return (poll, [{"title": t} for t in titles[:candidates]], {"name": demo_data.SESSION["name"]},
            [(s, qr_text(POLL_REF, s)) for s in serials])


def reference(candidates: int, sample: int) -> dict[str, Any]:
    """In its own process: each ballot a document of its own, one after another, warm.
    Times the first `sample` ballots (all when 0) and scales to the whole print run."""
    from reports.ballots import ballots_html
    from reports.pdf import html_to_pdf

    poll, rows, session, serials = inputs(candidates)
    html_to_pdf(ballots_html(poll, rows, session, serials[:1]))  # warm: fonts loaded and cached
    before = peak_memory_mb()["children"]
    timed_serials = serials[:sample] if 0 < sample < len(serials) else serials
    size = 0
    start = time.perf_counter()
    for pair in timed_serials:
        size += len(html_to_pdf(ballots_html(poll, rows, session, [pair])))
    seconds = time.perf_counter() - start
    scale = len(serials) / len(timed_serials)
    return {"seconds": seconds * scale, "bytes": size * scale, "timed": len(timed_serials), "scale": scale,
            "timed_seconds": seconds, "memory": peak_memory_mb(before)}


def print_run(candidates: int) -> list[dict[str, Any]]:
    from reports import ballots

    poll, rows, session, serials = inputs(candidates)
    repeat = max(1, setting("BENCH_REPEAT", 3))
    sample = setting("BENCH_REFERENCE_SAMPLE", 60)

    asyncio.run(ballots.ballots_pdf(poll, rows, session, serials[:1]))  # warm, as a server is after its first print
    before = peak_memory_mb()["children"]
    runs, content = timed(lambda: asyncio.run(ballots.ballots_pdf(poll, rows, session, serials)), repeat)
    memory = peak_memory_mb(before)  # before the check and the reference add to it

    from pypdf import PdfReader

    pages = PdfReader(io.BytesIO(content)).pages
    if len(pages) != COUNT or serials[-1][0] not in pages[-1].extract_text():
        raise RuntimeError(f"the print run came out as {len(pages)} pages")

    ref = run_isolated("bench.print_ballots:reference", candidates, sample)
    name = f"print-ballots-{candidates}"
    described = f"{COUNT} single-ballot renders"
    if ref["timed"] < COUNT:
        sampled = (f"reference: the first {ref['timed']} of the {COUNT} single-ballot renders timed "
                   f"({ref['timed_seconds']:.1f} s) and scaled ×{ref['scale']:.2f}")
        described += f", {ref['timed']} timed, scaled"
    else:
        sampled = f"reference: all {COUNT} single-ballot renders timed"
    layout = ballots.choose_layout(poll, [r["title"] for r in rows], session["name"]).name
    return [
        record(name, median(runs), "s", reference=described, reference_value=ref["seconds"], target=at_most(0.1),
               runs=runs,
               note=(f"{candidates} candidates ({layout} layout), {COUNT} ballots through reports.ballots.ballots_pdf; "
                     f"median of {len(runs)} warm runs (min {min(runs):.2f} s, max {max(runs):.2f} s); {sampled}")),
        record(f"{name}/peak-memory", memory["total"], "MB", reference="single renders, own process",
               reference_value=ref["memory"]["total"], target=below(500),
               note=(f"max RSS of the benchmark process ({memory['self']:.0f} MB: imports, warm-up and the "
                     f"{len(runs)} print runs) + max RSS of the child processes started while printing "
                     f"({memory['children']:.0f} MB); reference: the same for the single renders' process")),
        record(f"{name}/pdf-size", len(content) / 1e6, "MB", reference=f"{COUNT} single-ballot PDFs together",
               reference_value=ref["bytes"] / 1e6, target=below(5)),
    ]


def ballots_12() -> list[dict[str, Any]]:
    return print_run(12)


def ballots_40() -> list[dict[str, Any]]:
    return print_run(40)


def second_language_run(code: str) -> list[dict[str, Any]]:
    """The same 450 ballots with a second language (the layout samples' texts, reports.sample_translations)
    against the Chinese-only print run, both timed here, alternately, warm. Target: a second
    language costs at most half again the time, and the PDF stays under 5 MB."""
    from reports import ballots, sample_translations
    from voting.bilingual import Bilingual
    from voting.languages import LANGUAGES

    poll, rows, session, serials = inputs(12)
    words = Bilingual(LANGUAGES[code], sample_translations.TEXTS[code])
    repeat = max(1, setting("BENCH_REPEAT", 3))

    def run(bi: Any) -> bytes:
        return asyncio.run(ballots.ballots_pdf(poll, rows, session, serials, words=bi))

    run(words), run(None)  # warm: both scripts' fonts loaded
    both, chinese, content = [], [], b""
    for _ in range(repeat):
        start = time.perf_counter()
        content = run(words)
        both.append(time.perf_counter() - start)
        start = time.perf_counter()
        run(None)
        chinese.append(time.perf_counter() - start)
    from pypdf import PdfReader

    if len(PdfReader(io.BytesIO(content)).pages) != COUNT:
        raise RuntimeError("a bilingual ballot ran over one sheet")
    name = f"print-ballots-12-{code}"
    return [
        record(name, median(both), "s", reference="the same 450 ballots in Chinese only", reference_value=median(chinese),
               target=at_most(1.5), runs=both,
               note=(f"12 candidates, {COUNT} ballots with {LANGUAGES[code].name} under the Chinese (layout-sample texts) "
                     "through reports.ballots.ballots_pdf; "
                     f"median of {len(both)} warm runs, alternating with the Chinese-only run "
                     f"({', '.join(f'{s:.2f}' for s in chinese)} s)")),
        record(f"{name}/pdf-size", len(content) / 1e6, "MB", target=below(5)),
    ]


def ballots_12_ug() -> list[dict[str, Any]]:
    return second_language_run("ug")


def ballots_12_bo() -> list[dict[str, Any]]:
    return second_language_run("bo")
