"""``fiscal-extract``: extract, serve and eval from the command line (same JSON as the API)."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import orjson



def _dump(obj, pretty: bool) -> bytes:
    return orjson.dumps(obj, option=orjson.OPT_INDENT_2 if pretty else 0)


def cmd_extract(args) -> int:
    """Each file in a pool process under the time and memory limits: a bad file gets its error
    line, and the files after it are read as usual."""
    from extractors import warm_up
    from extractors.decode import tools
    from service.settings import get_settings
    from service.worker import GuardedExtraction
    settings = get_settings()
    tools.sweep()
    warm_up()                      # before the pool forks, so that its process starts warm
    guarded = GuardedExtraction(1, args.timeout or settings.extract_timeout_s,
                                args.memory_mb if args.memory_mb is not None else settings.extract_memory_mb)
    status = 0
    try:
        for name in args.files:
            try:
                data = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
            except OSError as e:
                status = 1
                _fail(args, name, {"code": "E007", "detail": e.strerror or str(e)})
                continue
            out, problem = guarded(data, Path(name).name if name != "-" else None, include_text=not args.no_text,
                                   tokens=args.tokens)
            if problem is not None:
                status = 1
                _fail(args, name, problem)
                continue
            sys.stdout.buffer.write(_dump(out, not args.jsonl) + b"\n")
            sys.stdout.flush()
    finally:
        guarded.close()
    return status


def _fail(args, name: str, problem: dict) -> None:
    sys.stderr.write(f"{name}: {problem['code']} {problem['detail']}\n")
    if args.jsonl:
        sys.stdout.buffer.write(_dump({"error": {**problem, "file": name}}, False) + b"\n")
        sys.stdout.flush()


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def cmd_serve(args) -> int:
    import uvicorn

    from .auth import active_key_count
    from .settings import get_settings
    from .store import get_store
    store = get_store(get_settings().database_url)
    if args.host not in LOOPBACK and not args.host.startswith("127.") and active_key_count(store) == 0:
        sys.stderr.write(f"refusing to serve on {args.host} without API keys: anyone who can reach it could use it.\n"
                         "Create one first (fiscal-extract keys create NAME), or serve on 127.0.0.1.\n")
        return 2
    if args.workers > 1:
        store.engine.dispose()       # no connection of this process may live on in the forked workers
        get_store.cache_clear()
        from .prefork import serve_prefork
        serve_prefork(args.host, args.port, args.workers)
        return 0
    from .http_protocol import HTTP_PROTOCOL
    uvicorn.run("service.app:app_factory", factory=True, host=args.host, port=args.port, log_level="warning",
                http=HTTP_PROTOCOL)
    return 0


def cmd_keys(args) -> int:
    from .auth import list_keys, new_key, revoke_key
    from .settings import get_settings
    from .store import get_store
    store = get_store(get_settings().database_url)
    if args.action == "create":
        try:
            key = new_key(store, args.name, args.scope or ["extract"])
        except ValueError as e:
            sys.stderr.write(f"{e}\n")
            return 2
        print(key)
        sys.stderr.write("Keep this key: it is shown once and stored only as a hash.\n")
        return 0
    if args.action == "list":
        for k in list_keys(store):
            state = f"revoked {k.revoked_at:%Y-%m-%d}" if k.revoked_at else "active"
            print(f"{k.id}\t{k.name}\t{k.scopes}\t{k.created_at:%Y-%m-%d %H:%M}\t{state}")
        return 0
    if not revoke_key(store, args.id):
        sys.stderr.write(f"no active key {args.id}\n")
        return 1
    print(f"revoked {args.id}")
    return 0


def cmd_eval(args) -> int:
    from extractors import eval_sets
    try:
        sets = _eval_sets(args)
    except (OSError, ValueError) as e:
        sys.stderr.write(f"{e}\n")
        return 2
    splits = tuple(args.split) if args.split else (*eval_sets.SPLITS, eval_sets.NO_SPLIT, eval_sets.UNANNOTATED)
    reports = []
    for s in sets:
        got = eval_sets.evaluate_set(s, splits)
        reports.extend(got)
        if s.absent_hint and any(r.absent for r in got):
            sys.stderr.write(f"{s.id}: {s.absent_hint}\n")
    if not reports:
        sys.stderr.write("no documents with gold in " + ", ".join(s.id for s in sets) + "\n")
        return 2
    print(eval_sets.format_reports(reports, verbose=args.verbose, show_test=args.show_test))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps([r.to_dict() for r in reports], ensure_ascii=False, indent=1),
                                   encoding="utf-8")
    return 0


def _eval_sets(args):
    """The sets named on the command line (set ids of the manifest, or directories of gold), or all."""
    from extractors import eval_sets
    manifest = Path(args.manifest)
    known = eval_sets.load_sets(manifest) if manifest.is_file() else []
    if not args.sets:
        if not known:
            raise ValueError(f"no evaluation manifest at {manifest}; name a directory of *.gold.json")
        return known
    by_id = {s.id: s for s in known}
    by_dir = {_gold_dir(s): s for s in known}
    out = []
    for name in args.sets:
        path = Path(name)
        if name in by_id:
            out.append(by_id[name])
        elif path.is_dir():
            out.append(by_dir.get(path.resolve()) or eval_sets.set_from_directory(path))
        else:
            raise ValueError(f"{name} is neither a set of {manifest} nor a directory")
    return out


def _gold_dir(s) -> Path | None:
    golds = [e.gold.parent.resolve() for e in s.entries if e.gold]
    return golds[0] if golds else None


def cmd_crawl(args) -> int:
    from crawler.run import crawl, seeds
    from .settings import get_settings
    db = args.db or get_settings().database_url
    if args.portal == "report" and not Path("report").is_file():
        from crawler.report import report
        return report(db, args.run_id, args.region, json_out=args.json)
    if args.dry_run:
        try:
            for name, url in seeds(args.portal, args.seed, args.region):
                print(f"{name}\t{url}")
        except ValueError as e:
            sys.stderr.write(f"{e}\n")
            return 2
        return 0
    try:
        run_id = crawl(args.portal, args.seed, db, args.redis, args.run_id, args.allow_private_addresses,
                       polite=not args.no_politeness,
                       extra={"DOWNLOAD_TIMEOUT": args.timeout} if args.timeout else None, region=args.region)
    except ValueError as e:
        sys.stderr.write(f"{e}\n")
        return 2
    print(run_id)
    from crawler.report import fetched
    if not fetched(db, run_id):
        sys.stderr.write("nothing was fetched: see the failures above\n")
        return 1
    return 0


def cmd_portals(args) -> int:
    from crawler.config import places
    try:
        rows = places(args.region)
    except ValueError as e:
        sys.stderr.write(f"{e}\n")
        return 2
    if args.json:
        sys.stdout.write(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode() + "\n")
        return 0
    for r in rows:
        where = "/".join(x for x in (r["province"], r["city"], r["county"]) if x)
        check = f"{r.get('page_available') or '?'} {r.get('http_status') or '-'} {r.get('page_type') or ''}".strip()
        print(f"{where}\t{r['level']}\t{r['url'] or '(no URL)'}\t{check}")
    return 0


def cmd_export(args) -> int:
    from .exporter import export_rows
    from .settings import get_settings
    n = export_rows(args.db or get_settings().database_url, args.format, args.output)
    sys.stderr.write(f"{n} rows written to {args.output}\n")
    return 0


def cmd_reprocess(args) -> int:
    from .exporter import reprocess
    from .settings import get_settings
    settings = get_settings()

    def progress(unfinished: int) -> None:
        sys.stderr.write(f"\r{unfinished} tasks unfinished ")
        sys.stderr.flush()
    done, failed = reprocess(args.db or settings.database_url, settings, retry_failed=args.retry_failed,
                             wait=not args.no_wait, progress=progress if sys.stderr.isatty() else None)
    if settings.broker_url and args.no_wait:
        sys.stderr.write("handed to the workers; `fiscal-extract status` shows their progress\n")
    else:
        sys.stderr.write(f"re-extracted {done} documents, {failed} failed\n")
    return 0


def cmd_worker(args) -> int:
    from .settings import get_settings
    settings = get_settings()
    if args.db:
        settings = settings.model_copy(update={"database_url": args.db})
    if not settings.broker_url:
        sys.stderr.write("fiscal-extract worker: no broker; set FISCAL_BROKER_URL (redis://… or amqp://…). "
                         "Without one, the service, the crawler and reprocess extract in their own processes.\n")
        return 2
    from .broker import run_worker, worker_concurrency
    return run_worker(settings, args.concurrency or worker_concurrency(settings), args.loglevel)


def cmd_status(args) -> int:
    from extractors import __version__
    from . import broker, tasks
    from .settings import get_settings
    from .store import get_store
    settings = get_settings()
    report = tasks.counts(get_store(args.db or settings.database_url), __version__)
    report = {"extractor_version": __version__, "broker": _redacted(settings.broker_url),
              "queue": broker.queue_name() if settings.broker_url else None,
              "queue_length": broker.queue_length(settings) if settings.broker_url else None, **report}
    unreachable = bool(settings.broker_url) and report["queue_length"] is None    # a worker's health check
    if args.json:
        sys.stdout.write(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode() + "\n")
        return 1 if unreachable else 0
    s = report["seconds"]
    lines = [f"extractor {__version__}; broker: {report['broker'] or 'none (each process extracts its own work)'}"]
    if settings.broker_url:
        length = report["queue_length"]
        lines.append(f"queue {report['queue']}: {'cannot be read' if length is None else f'{length} messages waiting'}")
    lines.append("tasks: " + ", ".join(f"{n} {k}" for k, n in report["tasks"].items()))
    if report["failed_by_code"]:
        lines.append("failed: " + ", ".join(f"{n} {code}" for code, n in report["failed_by_code"].items()))
    if s["count"]:
        lines.append(f"extraction time: {s['sum'] / s['count']:.3f} s per task over {s['count']} tasks")
    sys.stdout.write("\n".join(lines) + "\n")
    return 1 if unreachable else 0


def _redacted(url: str | None) -> str | None:
    """A broker address without its password."""
    import re
    return re.sub(r"(//[^:/@]*:)[^@/]*@", r"\1***@", url) if url else None


def build_parser() -> argparse.ArgumentParser:
    from .settings import get_settings
    settings = get_settings()
    parser = argparse.ArgumentParser(prog="fiscal-extract", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("extract", help="print the v1 JSON of each file ('-' reads stdin)")
    p.add_argument("files", nargs="+")
    p.add_argument("--jsonl", action="store_true", help="one document per line, in the order given")
    p.add_argument("--tokens", action="store_true", help="add the jieba/spaCy tokens")
    p.add_argument("--no-text", action="store_true", help="leave document.text out")
    p.add_argument("--timeout", type=float, help="seconds per file (default: FISCAL_EXTRACT_TIMEOUT_S, 60)")
    p.add_argument("--memory-mb", type=int, help="memory limit of the extraction process (default 2048; 0: none)")
    p.set_defaults(func=cmd_extract)
    p = sub.add_parser("serve", help="run the HTTP service")
    p.add_argument("--host", default=settings.host)
    p.add_argument("--port", type=int, default=settings.port)
    p.add_argument("--workers", type=int, default=settings.workers,
                   help="worker processes; more than one are forked after the lexicons load")
    p.set_defaults(func=cmd_serve)
    p = sub.add_parser("keys", help="manage API keys (stored hashed)")
    keys = p.add_subparsers(dest="action", required=True)
    k = keys.add_parser("create", help="create a key and print it once")
    k.add_argument("name")
    k.add_argument("--scope", action="append", choices=["extract", "admin", "metrics"], help="repeat for several (default: extract)")
    keys.add_parser("list", help="list keys (id, name, scopes, state)")
    k = keys.add_parser("revoke", help="revoke a key by its id")
    k.add_argument("id")
    p.set_defaults(func=cmd_keys)
    p = sub.add_parser("crawl", help="crawl a 预决算公开 portal and store every disclosure with its extraction; "
                                     "`crawl report [--run-id ID]`: what a crawl found and what failed")
    p.add_argument("portal", nargs="?", help="a portal YAML (see crawler/portals/generic.yaml)")
    p.add_argument("--seed", help="a start URL, with the generic configuration")
    p.add_argument("--region", help="start from the portal directory's pages for a province, city or county")
    p.add_argument("--db", help="store URL (default: FISCAL_DATABASE_URL or ./var/fiscal.db)")
    p.add_argument("--redis", help="redis://… : share the frontier with other crawler processes")
    p.add_argument("--run-id", help="resume this run (or name a run that other processes join)")
    p.add_argument("--allow-private-addresses", action="store_true",
                   help="let the crawler reach loopback and private networks (tests, intranets)")
    p.add_argument("--no-politeness", action="store_true", help="no delay or throttle (your own test portal only)")
    p.add_argument("--timeout", type=float, help="download timeout in seconds")
    p.add_argument("--dry-run", action="store_true", help="print the start URLs (name, URL) and fetch nothing")
    p.add_argument("--json", action="store_true", help="crawl report: as JSON")
    p.set_defaults(func=cmd_crawl)
    p = sub.add_parser("portals", help="the packaged directory of 预决算公开 pages (3,215 places) with its link check")
    p.add_argument("--region", help="a province, city or county: it and the places in it")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_portals)
    p = sub.add_parser("export", help="one row per fact or line item across the stored documents")
    p.add_argument("--format", choices=["csv", "xlsx", "jsonl", "parquet"], required=True)
    p.add_argument("--db")
    p.add_argument("-o", "--output", required=True)
    p.set_defaults(func=cmd_export)
    p = sub.add_parser("reprocess", help="re-extract stored documents with this extractor version (no fetching); "
                                         "with FISCAL_BROKER_URL the workers do it")
    p.add_argument("--db")
    p.add_argument("--retry-failed", action="store_true", help="try again the documents whose extraction failed")
    p.add_argument("--no-wait", action="store_true", help="with a broker: hand the tasks on and return")
    p.set_defaults(func=cmd_reprocess)
    p = sub.add_parser("worker", help="take extraction tasks from the broker (FISCAL_BROKER_URL) and store the results")
    p.add_argument("--concurrency", type=int, help="tasks at once (default: FISCAL_WORKER_CONCURRENCY, else one per core)")
    p.add_argument("--db", help="store URL (default: FISCAL_DATABASE_URL or ./var/fiscal.db)")
    p.add_argument("--loglevel", default="INFO")
    p.set_defaults(func=cmd_worker)
    p = sub.add_parser("status", help="the task queue: messages waiting, tasks by state, failures by code, time per "
                                      "task (exit 1 when the broker cannot be read)")
    p.add_argument("--db")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_status)
    p = sub.add_parser("eval", help="score extraction against gold: each set and split apart (corpus/eval.yaml)")
    p.add_argument("sets", nargs="*", help="set ids of the manifest, or directories of *.gold.json (default: every set)")
    p.add_argument("--manifest", default="corpus/eval.yaml", help="the evaluation sets (default: %(default)s)")
    p.add_argument("--split", action="append", choices=["dev", "test", "all", "unannotated"],
                   help="only these splits (repeat for several)")
    p.add_argument("-v", "--verbose", action="store_true", help="each document's figures and each miss")
    p.add_argument("--show-test", action="store_true", help="list the held-back split's misses and false alarms too")
    p.add_argument("--json", metavar="FILE", help="write the figures of every set and split as JSON")
    p.set_defaults(func=cmd_eval)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from sqlalchemy.exc import SQLAlchemyError
    try:
        return args.func(args)
    except BrokenPipeError:             # the reader went away (… | head): not an error of ours
        import os
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except SQLAlchemyError as e:
        # a store that cannot be reached (a closed port, a wrong password, a read-only file): one line
        reason = str(getattr(e, "orig", None) or e).strip().splitlines()[0][:300]
        sys.stderr.write(f"fiscal-extract: the store cannot be used: {reason}\n")
        return 2


if __name__ == "__main__":
    sys.exit(main())
